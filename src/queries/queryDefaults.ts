/** The queries' defaults, apart from the queries: the CLI shows them in --help without loading any projection. */

export const DEFAULT_TREND_DAYS = 30;

export const DEFAULT_MIN_CONFIDENCE = 0.5;
