/** Ids and emails name people case-insensitively, whitespace aside. */
const norm = (s: string) => s.trim().toLowerCase();

/**
 * Whether a person is the one on whose behalf the proposal was made (named by id or email): the single rule
 * for separation of duties, used when routing, when deciding and when showing the page.
 */
export function isRequester(person: { id: string; email?: string }, requestedBy: string): boolean {
  const r = norm(requestedBy);
  return norm(person.id) === r || (person.email !== undefined && person.email !== '' && norm(person.email) === r);
}
