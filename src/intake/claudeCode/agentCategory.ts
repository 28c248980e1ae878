import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A subagent type safe to use as a file name (the built-in ones and any a user may define). */
const SAFE_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * `category` from the front matter of the subagent's definition: `.claude/agents/<type>.md`
 * in the project, else in the user's ~/.claude/agents. Null when there is no file (the built-in
 * types such as general-purpose) or no category in it.
 */
export function agentCategory(type: string | null, projectDir: string | null, home: string = os.homedir()): string | null {
  if (type === null || !SAFE_TYPE.test(type) || type.includes('..')) return null;
  const dirs = [projectDir, home].filter((d): d is string => d !== null && d !== '');
  for (const dir of dirs) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, '.claude', 'agents', `${type}.md`), 'utf8');
    } catch {
      continue;
    }
    return frontMatterField(text, 'category');
  }
  return null;
}

/** A plain `key: value` line of the leading `---` block (the YAML Claude Code's definitions use). */
export function frontMatterField(text: string, key: string): string | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return null;
  for (let i = 1; i < lines.length && i < 200; i++) {
    const line = lines[i]!;
    if (line.trim() === '---') return null;
    const m = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (m === null || m[1] !== key) continue;
    const value = m[2]!.replace(/\s+#.*$/, '').trim().replace(/^(["'])(.*)\1$/, '$2').trim();
    return value === '' ? null : value.slice(0, 128);
  }
  return null;
}
