/**
 * Escaping text for XML 1.0. Characters XML 1.0 cannot carry at all (NUL and most C0 controls,
 * such as the ESC of terminal colours, lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so an
 * error message with any bytes in it still yields a well-formed document. Pure.
 */

/** Everything outside XML 1.0's Char production. The `u` flag makes lone surrogates match too. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text with the characters XML 1.0 cannot carry replaced by U+FFFD, for XML builders that escape the rest themselves. */
export function xmlChars(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

/** For element content: &, < and > (the last so that `]]>` can never appear). */
export function escapeXmlText(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** For attribute values in double or single quotes; tab, newline and CR as references so parsers keep them. */
export function escapeXmlAttr(text: string): string {
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}
