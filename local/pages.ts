// Local mode's own pages: what a person opens to see what the system did (outbox, events, durable callbacks).
import type { OutboxMessage } from './ses.ts';
import type { ArchivedEvent } from './eventbridge/bus.ts';
import type { DurableCallbackAnswer, RefusedAnswer } from './durable-callbacks.ts';
import { esc } from '../functions/http/html.ts';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · hitl-gate local</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:baseline}
header a{color:#cde}main{padding:1rem 1.2rem;max-width:72rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3}code,pre{font:13px ui-monospace,monospace}pre{white-space:pre-wrap;word-break:break-word;margin:0}
.empty{color:#667;padding:1rem;background:#fff}iframe{width:100%;height:32rem;border:1px solid #ccd;background:#fff}
</style></head>
<body><header><strong>hitl-gate · local</strong><nav><a href="/_local/outbox">Outbox</a> · <a href="/_local/slack">Slack</a> · <a href="/_local/events">Events</a> · <a href="/_local/durable-callbacks">Durable callbacks</a></nav></header>
<main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function outboxPage(messages: OutboxMessage[]): string {
  if (messages.length === 0) return layout('Outbox', '<p class="empty">No email sent yet.</p>');
  const rows = messages
    .map(
      (m) => `<tr><td>${esc(m.date.toISOString())}</td><td>${esc(m.to.join(', '))}</td>
<td><a href="/_local/outbox/${encodeURIComponent(m.file)}">${esc(m.subject)}</a></td><td><a href="/_local/outbox/${encodeURIComponent(m.file)}/raw">.eml</a></td></tr>`,
    )
    .join('\n');
  return layout(
    'Outbox',
    `<p>${messages.length} message(s), newest first.</p>
<table><thead><tr><th scope="col">Sent</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Raw</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

export function messagePage(m: OutboxMessage): string {
  // The HTML body is shown as the mail client would, links included; sandboxed so it runs no script.
  const body = m.html
    ? `<iframe title="Message body" sandbox="allow-popups allow-top-navigation-by-user-activation" srcdoc="${esc(m.html.replace(/<a /g, '<a target="_top" '))}"></iframe>`
    : `<pre>${esc(m.text)}</pre>`;
  return layout(
    m.subject || '(no subject)',
    `<table>
<tr><th scope="row">From</th><td>${esc(m.from)}</td></tr><tr><th scope="row">To</th><td>${esc(m.to.join(', '))}</td></tr>
<tr><th scope="row">Date</th><td>${esc(m.date.toISOString())}</td></tr></table>
<h2>Message</h2>${body}<h2>Plain text</h2><pre>${esc(m.text)}</pre><p><a href="/_local/outbox/${encodeURIComponent(m.file)}/raw">Download .eml</a></p>`,
  );
}

export function eventsPage(events: ArchivedEvent[]): string {
  if (events.length === 0) return layout('Events', '<p class="empty">No event on the bus yet.</p>');
  const rows = [...events]
    .reverse()
    .slice(0, 500)
    .map(
      (
        e,
      ) => `<tr><td>${esc(e.time)}</td><td>${esc(e.EventBusName)}</td><td>${esc(e.Source)}</td><td>${esc(e.DetailType)}</td>
<td><pre>${esc(JSON.stringify(JSON.parse(e.Detail), null, 2))}</pre></td></tr>`,
    )
    .join('\n');
  return layout(
    'Events',
    `<p>${events.length} event(s) on the bus, newest first (all of them in <code>events.jsonl</code>).</p>
<table><thead><tr><th scope="col">Time</th><th scope="col">Bus</th><th scope="col">Source</th><th scope="col">Detail type</th><th scope="col">Detail</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

/** JSON text shown indented when it is JSON, as it came otherwise. */
function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function durableCallbacksPage(answers: DurableCallbackAnswer[], refused: RefusedAnswer[]): string {
  if (answers.length === 0 && refused.length === 0)
    return layout('Durable callbacks', '<p class="empty">No durable function answered yet.</p>');
  const rows = [...answers]
    .reverse()
    .map((a) => {
      const payload =
        a.outcome === 'succeeded'
          ? `Result<pre>${esc(pretty(a.result ?? ''))}</pre>`
          : `${esc(a.error?.ErrorType ?? '')}: ${esc(a.error?.ErrorMessage ?? '')}<pre>${esc(pretty(a.error?.ErrorData ?? ''))}</pre>`;
      return `<tr><td>${esc(a.at)}</td><td><code>${esc(a.callbackId)}</code></td><td>${esc(a.outcome)}</td><td>${esc(a.by)}</td><td>${payload}</td></tr>`;
    })
    .join('\n');
  const refusedRows = [...refused]
    .reverse()
    .map(
      (r) =>
        `<tr><td>${esc(r.at)}</td><td><code>${esc(r.callbackId)}</code></td><td>${esc(r.outcome)}</td><td>${esc(r.by)}</td><td>${esc(r.error)}</td></tr>`,
    )
    .join('\n');
  const head = (last: string) =>
    `<thead><tr><th scope="col">Time</th><th scope="col">Callback id</th><th scope="col">Answer</th><th scope="col">By</th><th scope="col">${last}</th></tr></thead>`;
  return layout(
    'Durable callbacks',
    `<p>${answers.length} answer(s) to durable functions, newest first (all of them in <code>durable-callbacks.jsonl</code>). Each callback takes one answer.</p>
<table>${head('Payload')}<tbody>${rows}</tbody></table>${
      refused.length
        ? `<h2>Refused: the callback was closed</h2><table>${head('Error')}<tbody>${refusedRows}</tbody></table>`
        : ''
    }`,
  );
}

export function homePage(url: string, info: { functions: string[]; stateMachines: string[]; rules: string[] }): string {
  return layout(
    'Local mode',
    `<p>A small AWS on one port: point any AWS SDK client at <code>${esc(url)}</code>.</p>
<ul><li><a href="/_local/outbox">Outbox</a>: the emails approvers receive.</li><li><a href="/_local/events">Events</a>: everything put on the bus.</li>
<li><a href="/_local/durable-callbacks">Durable callbacks</a>: the answers to agents written as Lambda durable functions.</li></ul>
<h2>Wiring (from serverless.yml)</h2>
<table><tr><th scope="row">Functions</th><td>${info.functions.map(esc).join(', ')}</td></tr>
<tr><th scope="row">State machines</th><td>${info.stateMachines.map(esc).join(', ')}</td></tr>
<tr><th scope="row">Rules</th><td>${info.rules.map(esc).join('<br>')}</td></tr></table>`,
  );
}
