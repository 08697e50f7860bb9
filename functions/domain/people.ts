// Who is who. Separation of duties rests on telling the requester apart from the approvers, so names
// are compared by an identity key that ignores what does not tell people apart.
import { remove as withoutConfusables } from 'confusables';

/**
 * The identity a name or email stands for, for comparison only: Unicode NFKC, letters that look alike
 * (a Cyrillic "а" for a Latin "a", per the confusables data), case, surrounding whitespace, trailing
 * dots (`example.com.`) and an email's plus-address tag (`raj.patel+hitl@`) do not make another person.
 */
export function identityKey(name: string): string {
  const plain = withoutConfusables(name.normalize('NFKC')).normalize('NFKC').trim().toLowerCase().replace(/\.+$/, '');
  const at = plain.lastIndexOf('@');
  if (at <= 0) return plain;
  const local = plain.slice(0, at);
  const plus = local.indexOf('+');
  return `${plus > 0 ? local.slice(0, plus) : local}@${plain.slice(at + 1).replace(/\.+$/, '')}`;
}

/** Whether a name (an id or an email) names this person: by id or by email, compared as identities. */
export function names(person: { id: string; email?: string }, name: string): boolean {
  const key = identityKey(name);
  return (
    identityKey(person.id) === key ||
    (person.email !== undefined && person.email !== '' && identityKey(person.email) === key)
  );
}

/**
 * Whether a person is the one on whose behalf the proposal was made (named by id or email): the single rule
 * for separation of duties, used when routing, when deciding and when showing the page. A requester who
 * cannot be told apart from a person is that person.
 */
export function isRequester(person: { id: string; email?: string }, requestedBy: string): boolean {
  return names(person, requestedBy);
}
