// The bus's journal (HITL_PERSIST=1): EventBridge does not lose an event it accepted, so neither does local mode.
// Each accepted event is appended with the rules it matched, and the file synced to disk (fdatasync), before
// PutEvents answers; each rule's delivery is appended once done. At start the journal is read back: what some
// rule has not had yet is delivered again (at least once, as EventBridge delivers), and the file is rewritten
// with only that.
//
// One line per record, JSON: { "accepted": <event>, "rules": [<rule name>...], "receivedAt": <ms> } or
// { "delivered": <event id>, "rule": <rule name> }. A line cut short by a crash was never acknowledged: skipped.
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An event the bus keeps (ArchivedEvent), as far as the journal needs to know it. */
interface Identified {
  id: string;
}

/** An accepted event some of whose rules have not been delivered to yet. */
export interface Undelivered<E extends Identified = Identified> {
  event: E;
  rules: string[];
  /** When the bus received it (local mode's clock), for the rules' maximum event age. */
  receivedAt: number;
}

type Line<E extends Identified> =
  | ({ accepted: E } & Omit<Undelivered<E>, 'event'>)
  | { delivered: string; rule: string };

interface Batch {
  text: string;
  sync: boolean;
  written: PromiseWithResolvers<void>;
}

export class EventJournal<E extends Identified> {
  readonly #file: string;
  #handle: FileHandle | undefined;
  /** The batch taking lines while the one before it is written: every caller waiting meanwhile shares one sync. */
  #open: Batch | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  /** Reads what is still owed from an earlier run, rewrites the journal with only that, and opens it for appending. */
  async open(): Promise<Undelivered<E>[]> {
    const text = await readFile(this.#file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const owed = new Map<string, Undelivered<E>>();
    for (const raw of text.split('\n')) {
      let line: Line<E>;
      try {
        line = JSON.parse(raw) as Line<E>;
      } catch {
        continue;
      }
      // An event no rule matched is owed to nobody: nothing to deliver after a restart.
      if ('accepted' in line) {
        if (line.rules.length > 0)
          owed.set(line.accepted.id, { event: line.accepted, rules: line.rules, receivedAt: line.receivedAt });
      } else {
        const entry = owed.get(line.delivered);
        if (!entry) continue;
        entry.rules = entry.rules.filter((r) => r !== line.rule);
        if (entry.rules.length === 0) owed.delete(line.delivered);
      }
    }
    const undelivered = [...owed.values()];
    // Rewritten whole, then renamed over the old one: a crash now leaves one journal or the other, never half.
    const next = `${this.#file}.next`;
    const handle = await open(next, 'w');
    await handle.writeFile(undelivered.map((u) => `${JSON.stringify(lineOf(u))}\n`).join(''));
    await handle.datasync();
    await handle.close();
    await rename(next, this.#file);
    await syncDirectory(dirname(this.#file));
    this.#handle = await open(this.#file, 'a');
    return undelivered;
  }

  /** Resolves once the events are on disk: PutEvents may answer then. */
  accepted(events: Undelivered<E>[]): Promise<void> {
    return this.#write(events.map(lineOf), true);
  }

  /** That `rule` has had the event. Not synced: lost in a crash, it only means one delivery more. */
  delivered(eventId: string, rule: string): Promise<void> {
    return this.#write([{ delivered: eventId, rule }], false);
  }

  async close(): Promise<void> {
    await this.#writing;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #write(lines: Line<E>[], sync: boolean): Promise<void> {
    if (!this.#open) {
      const batch: Batch = { text: '', sync: false, written: Promise.withResolvers<void>() };
      this.#open = batch;
      this.#writing = this.#writing.then(async () => {
        if (this.#open === batch) this.#open = undefined;
        try {
          if (!this.#handle) throw new Error('the event journal is not open');
          await this.#handle.write(batch.text);
          if (batch.sync) await this.#handle.datasync();
          batch.written.resolve();
        } catch (err) {
          batch.written.reject(err);
        }
      });
    }
    this.#open.text += lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    if (sync) this.#open.sync = true;
    return this.#open.written.promise;
  }
}

function lineOf<E extends Identified>(u: Undelivered<E>): Line<E> {
  return { accepted: u.event, rules: u.rules, receivedAt: u.receivedAt };
}

/** A rename is durable once its directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
