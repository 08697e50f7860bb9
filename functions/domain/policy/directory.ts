// The people directory: who exists, their emails and roles. Its own module and its own object: the policy
// resolves its routes' roles through it, and separation of duties and the watchers look people up in it.
import { identityKey, names } from '../people.ts';
import type { Directory, Person, Problem, ReadFile } from './model.ts';
import { DirectoryFile, PersonEntry, checkShape, isMapping, piece } from './schema.ts';
import { copyPerson } from './compiled.ts';

/**
 * The directory from its file's value, its problems added to `problems` (file, path, what). Ids and
 * emails are unique as identities: two entries that cannot be told apart would defeat separation of duties.
 */
export function compileDirectory(directoryYaml: ReadFile, directoryFile: string, problems: Problem[]): Directory {
  const dir = directoryYaml && checkShape(DirectoryFile, directoryYaml.value, directoryFile, problems);
  const entries: unknown[] =
    directoryYaml && isMapping(directoryYaml.value) && Array.isArray(directoryYaml.value.people)
      ? directoryYaml.value.people
      : [];
  const personEntries = dir ? dir.people : entries.map((e) => piece(PersonEntry, e));

  const people: Person[] = [];
  const byRole = new Map<string, Person[]>();
  const seenIds = new Map<string, number>();
  const seenEmails = new Map<string, number>();
  // A Slack click decides as the person with that id: two people with one id would let one decide as the other.
  const seenSlack = new Map<string, number>();
  personEntries.forEach((entry, i) => {
    if (!entry) return;
    const here = (key: string, what: string) =>
      problems.push({ file: directoryFile, path: ['people', i, key], message: what });
    const id = identityKey(entry.id);
    const firstId = seenIds.get(id);
    if (firstId !== undefined) here('id', `duplicate person id "${entry.id}" (also people[${firstId}])`);
    else seenIds.set(id, i);
    const email = identityKey(entry.email);
    const firstEmail = seenEmails.get(email);
    if (firstEmail !== undefined) here('email', `duplicate email "${entry.email}" (also people[${firstEmail}])`);
    else seenEmails.set(email, i);
    const away = entry.away && { from: entry.away.from, to: entry.away.to, delegate: entry.away.delegate };
    if (away && !(Date.parse(away.from) < Date.parse(away.to))) here('away', `"from" must be before "to"`);
    const person: Person = Object.freeze({
      id: entry.id,
      name: entry.name,
      email: entry.email,
      roles: Object.freeze([...new Set(entry.roles)]) as string[],
      ...(away ? { away: Object.freeze(away) } : {}),
      ...(entry.timeZone ? { timeZone: entry.timeZone } : {}),
      ...(entry.slack ? { slack: entry.slack } : {}),
    });
    const firstSlack = entry.slack ? seenSlack.get(entry.slack) : undefined;
    if (firstSlack !== undefined) here('slack', `duplicate Slack id "${entry.slack}" (also people[${firstSlack}])`);
    else if (entry.slack) seenSlack.set(entry.slack, i);
    people.push(person);
    for (const role of person.roles) byRole.set(role, [...(byRole.get(role) ?? []), person]);
  });

  // A delegate is someone else in the directory; a chain of delegates is not followed (see standIn).
  people.forEach((p, i) => {
    if (!p.away) return;
    const delegate = people.find((q) => q.id === p.away?.delegate);
    const here = (what: string) =>
      problems.push({ file: directoryFile, path: ['people', i, 'away', 'delegate'], message: what });
    if (!delegate) here(`"${p.away.delegate}" is nobody in ${directoryFile}`);
    else if (delegate.id === p.id) here(`${p.id} cannot delegate to themselves`);
  });

  return {
    complete: dir !== undefined,
    standIn: (id, at) => {
      const p = people.find((q) => q.id === id);
      if (!p?.away || !isAwayAt(p.away, at)) return undefined;
      const delegate = people.find((q) => q.id === p.away?.delegate);
      return delegate ? copyPerson(delegate) : undefined;
    },
    people: () => people.map(copyPerson),
    person: (idOrEmail) => {
      const p = people.find((q) => q.id === idOrEmail) ?? people.find((q) => names(q, idOrEmail));
      return p ? copyPerson(p) : undefined;
    },
    withRole: (role) => byRole.get(role),
    bySlack: (slackUserId) => {
      const p = people.find((q) => q.slack === slackUserId);
      return p ? copyPerson(p) : undefined;
    },
  };
}

/** Whether an absence covers `at` (from inclusive, to exclusive). */
export function isAwayAt(away: { from: string; to: string }, at: Date): boolean {
  const t = at.getTime();
  return Date.parse(away.from) <= t && t < Date.parse(away.to);
}
