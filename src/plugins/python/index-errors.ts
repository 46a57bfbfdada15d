/** An upstream index answered something we refuse: the message names the page and the reason. */
export class IndexError extends Error {}
