import { createHash } from 'node:crypto';
import tlds from 'tlds' with { type: 'json' };

const TOP_LEVEL_DOMAINS = new Set<string>(tlds);

// HTML for the pages approvers use: server-rendered, no JavaScript needed, no external assets.

export const esc = (s: unknown): string =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Longest agent text shown in one place; the page's JSON view has all of it. */
const AGENT_TEXT_MAX = 500;

/**
 * Text an agent wrote, made safe to show a person as data: one line (line breaks, tabs and other control
 * characters become spaces; invisible and bidi-override characters are dropped), at most 500 characters,
 * and with its links defanged (`hxxps[:]//evil[.]example`), so no mail client makes them clickable and
 * nothing in it can pass for hitl-gate's own link. An agent may be prompt-injected: the approver's email
 * is the last line of defence.
 */
export function agentText(s: unknown, max = AGENT_TEXT_MAX): string {
  const line = String(s ?? '')
    // Format characters (zero-width, bidi overrides, BOM) are invisible: dropped. Controls and line separators: spaces.
    .replace(/\p{Cf}/gu, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const defanged = line
    .replace(/\b(h)(tt)(ps?)(:\/\/)/gi, (_m, h, _t, p) => `${h}xx${p}[:]//`)
    .replace(/:\/\//g, '[:]//')
    // A mail client spots a host name by its top-level domain: break the dot before one (evil.example[.]com).
    .replace(/(?<=[\p{L}\p{N}-])\.(\p{L}[\p{L}\p{N}-]*)(?![\p{L}\p{N}-])/gu, (dot, label: string) =>
      TOP_LEVEL_DOMAINS.has(label.toLowerCase()) ? `[.]${label}` : dot,
    );
  return defanged.length > max ? `${defanged.slice(0, max - 1)}…` : defanged;
}

/** Agent text in a page or an email's HTML: quoted, marked as the agent's, never markup. */
export const agentHtml = (s: unknown): string =>
  `<q class="agent" title="Written by the agent">${esc(agentText(s))}</q>`;

const STYLE = `
:root{color-scheme:light}
body{font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f5f6f8;color:#1a1d21}
header{background:#1a1d21;color:#fff;padding:.7rem 1.25rem}
main{max-width:52rem;margin:0 auto;padding:1rem 1.25rem 3rem;overflow-wrap:break-word}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem}form h3{margin:0 0 .25rem}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.35rem 1rem;background:#fff;padding:1rem;border:1px solid #d9dde3;border-radius:6px}
dt{font-weight:600;color:#3b4350}dd{margin:0}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d9dde3}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e6e9ee;vertical-align:top}
td:last-child{overflow-wrap:anywhere}
.banner{padding:.8rem 1rem;border-radius:6px;margin:0 0 1rem;border:1px solid}
.info{background:#eef5ff;border-color:#9cc0f0}.ok{background:#ecf8ef;border-color:#8fd0a2}.warn{background:#fff6e5;border-color:#f0c36d}.bad{background:#fdeeee;border-color:#e99}
form{background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:1rem;margin:.75rem 0}
label{display:block;font-weight:600;margin:.6rem 0 .25rem}
input[type=text],input[type=number],textarea{width:100%;box-sizing:border-box;font:inherit;padding:.45rem;border:1px solid #9aa3af;border-radius:4px}
textarea{min-height:6rem}
button{font:inherit;font-weight:600;padding:.55rem 1.1rem;border-radius:4px;border:1px solid #1a1d21;cursor:pointer;margin-top:.75rem}
.approve{background:#1f7a3a;color:#fff;border-color:#1f7a3a}.reject{background:#b42318;color:#fff;border-color:#b42318}
:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
q.agent{background:#f1f2f5;border-left:3px solid #9aa3af;padding:0 .35rem;font-style:italic}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:14px ui-monospace,monospace}
.hint{color:#4b5563;font-size:.9rem;margin:.25rem 0 0}
@media (max-width:36rem){main{padding:.75rem .75rem 2rem}dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:.5rem}table{font-size:.875rem}th,td{padding:.4rem .3rem}td:nth-child(3){overflow-wrap:anywhere;min-width:6rem}}
`;

/** CSP hash of the one inline stylesheet, so the pages need neither 'unsafe-inline' nor external CSS. */
export const STYLE_CSP_HASH = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">
<title>${esc(title)} · hitl-gate</title><style>${STYLE}</style></head>
<body><header><strong>hitl-gate</strong> · approval for an AI agent's action</header>
<main id="main">${body}</main></body></html>`;
}
