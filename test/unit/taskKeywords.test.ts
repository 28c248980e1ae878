import { describe, expect, it } from 'vitest';
import { STOPWORDS, taskKeywords } from '../../src/projections/views/taskKeywords.js';

// Expected lists are what the reference's extract_keywords gives (Python 3:
// re.findall(r'\b\w+\b', text.lower()), stopwords and len <= 2 dropped).
describe('taskKeywords', () => {
  it.each([
    ['Build the REST API endpoint for rapid login', ['build', 'rest', 'api', 'endpoint', 'rapid', 'login']],
    ['Do it on the DB to fix a UI bug', ['fix', 'bug']],
    ['deploy deploy service', ['deploy', 'deploy', 'service']],
    ['user_id, foo-bar; 2024 v2 x86_64', ['user_id', 'foo', 'bar', '2024', 'x86_64']],
    ['THOSE things COULD have BEEN being done', ['things', 'done']],
    ['Résumé für Über-Größe', ['résumé', 'für', 'über', 'größe']],
    ['数据库迁移 任务', ['数据库迁移']],
    // letters outside the BMP count as one character each: 2 is too short, 3 is kept
    ['\u{1D49C}\u{1D49C} \u{1D49C}\u{1D49C}\u{1D49C}', ['\u{1D49C}\u{1D49C}\u{1D49C}']],
    // a combining mark is not a word character in Python's \w: it splits the word
    ['cafe\u0301 ok', ['cafe']],
    ['नमस्ते दुनिया', ['नमस']],
    // numeric characters (No) are word characters
    ['x½½ ²³⁴', ['x½½', '²³⁴']],
    ['Straße STRASSE', ['straße', 'strasse']],
    ['', []],
    ['  ... !!! ', []],
  ])('%j -> %j', (task, expected) => {
    expect(taskKeywords(task)).toEqual(expected);
  });

  it('has the reference\'s 47 stopwords, and none of the longer ones survives', () => {
    expect(STOPWORDS.size).toBe(47);
    expect(taskKeywords([...STOPWORDS].join(' ').toUpperCase())).toEqual([]);
  });
});
