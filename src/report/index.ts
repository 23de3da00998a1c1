export { renderTable, expectation, type TableOptions } from './table';
export { renderJson, resultDocument, type ResultDocument } from './json';
export { renderJUnit, type JUnitOptions } from './junit';
export { summarize, summaryLine, formatBps, formatMs, measurement, type ResultSummary, type Tally } from './summary';
export { escapeXmlAttr, escapeXmlText } from './xml-escape';
