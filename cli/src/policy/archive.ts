// Past proposals from an archive of bus events: JSON lines of EventBridge events as a rule's target receives them
// (`detail-type`, `source`, `detail`, `time`), or of PutEvents entries as local mode archives them in
// .hitl/events.jsonl (`DetailType`, `Detail` as text, `time`), or a JSON list of either (local mode's
// GET /_local/events.json); events written one after another with no newline (as Firehose delivers them to S3)
// are split. Each entry that is not one is named with where it is and why; the rest are read.
import type { ActionProposed } from '../../../events/index.ts';
import { DetailType } from '../../../events/index.ts';
import { checkProposal, detailOf } from './common.ts';

export interface PastProposal {
  /** `line 12`, or `item 12` of a JSON list. */
  where: string;
  time?: string;
  proposal: ActionProposed;
}

export interface Archive {
  proposals: PastProposal[];
  bad: { where: string; reason: string }[];
  /** Events of other types (outcomes, escalations): not proposals, so not replayed. */
  otherEvents: number;
  /** The same agent and proposalId again (a redelivery or a resend): intake opened one review, so it counts once. */
  duplicates: number;
}

export function readArchive(text: string): Archive {
  const archive: Archive = { proposals: [], bad: [], otherEvents: 0, duplicates: 0 };
  const entries: { where: string; value?: unknown; error?: string }[] = [];
  if (text.trimStart().startsWith('[')) {
    try {
      const list = JSON.parse(text) as unknown;
      if (!Array.isArray(list)) throw new Error('not a list');
      for (const [i, value] of list.entries()) entries.push({ where: `item ${i + 1}`, value });
    } catch (err) {
      archive.bad.push({ where: 'the file', reason: `starts a JSON list but is not one: ${(err as Error).message}` });
    }
  } else {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `line ${i + 1}`;
      try {
        entries.push({ where, value: JSON.parse(line) });
      } catch (err) {
        // Firehose writes the events it delivers to S3 one after another, with no newline between them.
        const objects = splitObjects(line);
        if (objects.length < 2) {
          entries.push({ where, error: `not JSON: ${(err as Error).message}` });
          return;
        }
        objects.forEach((o, k) => {
          try {
            entries.push({ where: `${where}, event ${k + 1}`, value: JSON.parse(o) });
          } catch (e) {
            entries.push({ where: `${where}, event ${k + 1}`, error: `not JSON: ${(e as Error).message}` });
          }
        });
      }
    });
  }

  const seen = new Set<string>();
  for (const { where, value, error } of entries) {
    if (error) {
      archive.bad.push({ where, reason: error });
      continue;
    }
    let event: ReturnType<typeof detailOf>;
    try {
      event = detailOf(value);
    } catch (err) {
      archive.bad.push({ where, reason: (err as Error).message });
      continue;
    }
    if (event.detailType === undefined) {
      archive.bad.push({
        where,
        reason: 'not a bus event: it has no detail-type (an EventBridge event) or DetailType (a PutEvents entry)',
      });
      continue;
    }
    if (event.detailType !== DetailType.ActionProposed) {
      archive.otherEvents++;
      continue;
    }
    const checked = checkProposal(event.detail);
    if ('problems' in checked) {
      archive.bad.push({
        where,
        reason: `an Action Proposed that intake refused as invalid: ${checked.problems.join('; ')}`,
      });
      continue;
    }
    const key = JSON.stringify([checked.proposal.agentId, checked.proposal.proposalId]);
    if (seen.has(key)) {
      archive.duplicates++;
      continue;
    }
    seen.add(key);
    const time = event.time !== undefined && !Number.isNaN(Date.parse(event.time)) ? { time: event.time } : {};
    archive.proposals.push({ where, ...time, proposal: checked.proposal });
  }
  return archive;
}

/** `{…}{…}` -> each top-level object's text, by brace depth outside strings; [] when the text is not such a run. */
export function splitObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth < 0) return [];
      if (depth === 0) out.push(text.slice(start, i + 1));
    } else if (depth === 0 && c?.trim()) return [];
  }
  return depth === 0 ? out : [];
}
