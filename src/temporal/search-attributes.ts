import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Pure module (no Node imports): workflow code may import it to upsert the attribute.

/**
 * Keyword search attribute carrying the scenario name on every Merak workflow, so the web UI and
 * `temporal workflow list --query 'MerakScenario="demo"'` list one scenario's runs.
 */
export const MERAK_SCENARIO = defineSearchAttributeKey('MerakScenario', SearchAttributeType.KEYWORD);

/** Every custom search attribute Merak needs registered on its namespace. */
export const MERAK_SEARCH_ATTRIBUTES = [MERAK_SCENARIO] as const;

/** The dev server's `--search-attribute NAME=TYPE` spelling of a key's type. */
export function cliSearchAttributeType(type: SearchAttributeType): string {
  switch (type) {
    case SearchAttributeType.KEYWORD:
      return 'Keyword';
    case SearchAttributeType.TEXT:
      return 'Text';
    case SearchAttributeType.INT:
      return 'Int';
    case SearchAttributeType.DOUBLE:
      return 'Double';
    case SearchAttributeType.BOOL:
      return 'Bool';
    case SearchAttributeType.DATETIME:
      return 'Datetime';
    case SearchAttributeType.KEYWORD_LIST:
      return 'KeywordList';
  }
}
