/** Keyword extraction of query_best_agent: lower-case, word runs, no stopwords, longer than 2. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'the a an and or but in on at to for of with by from as is was are were be been being have has had do does did ' +
    'will would should could may might can this that these those i you he she it we they'
  ).split(' '),
);

// Python's \w on str: letters, digits/numerics and underscore.
const WORD = /[\p{L}\p{N}_]+/gu;

function codePointLength(word: string): number {
  let n = 0;
  for (const _ of word) n++;
  return n;
}

/** Keywords in order of appearance; a repeated word stays repeated (it counts twice). */
export function taskKeywords(task: string): string[] {
  const words = task.toLowerCase().match(WORD) ?? [];
  return words.filter((w) => !STOPWORDS.has(w) && codePointLength(w) > 2);
}
