/** The first line of an error's message (of its text when it is not an Error): for one-line reports and warnings. */
export const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]
