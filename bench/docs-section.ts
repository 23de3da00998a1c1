import { promises as fs } from 'node:fs';

/**
 * Writes one benchmark's section of docs/BENCHMARKS.md: the text between
 * `<!-- NAME:start -->` and `<!-- NAME:end -->` is replaced by `section` (which carries both
 * markers), or the section is appended when the file has none. A missing file is created with
 * the page's heading. Everything outside the markers (the hand-written notes) is kept.
 * @param docsPath path of BENCHMARKS.md
 * @param name the section's marker name (e.g. `dataplane`, `ovn`)
 * @param section the new section, markers included
 * @throws what fs.readFile/fs.writeFile throw, except ENOENT on read
 */
export async function writeDocsSection(docsPath: string, name: string, section: string): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(docsPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    text = '# Benchmarks\n\nEach section is written by its benchmark script; do not edit by hand between the markers.\n';
  }
  const re = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`);
  // A function replacement: `$` in the section is text, not a replacement pattern.
  text = re.test(text) ? text.replace(re, () => section) : `${text.trimEnd()}\n\n${section}\n`;
  await fs.writeFile(docsPath, text);
}
