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
export const agentHtml = (s: unknown, max = AGENT_TEXT_MAX): string =>
  `<q class="agent" title="Written by the agent">${esc(agentText(s, max))}</q>`;

const STYLE = `
:root{color-scheme:light}
body{font:16px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f5f6f8;color:#1a1d21}
header{background:#1a1d21;color:#fff;padding:.4rem 1rem;font-size:.85rem}
main{max-width:46rem;margin:0 auto;padding:.75rem 1rem 3rem;overflow-wrap:break-word}
h1{font-size:1.4rem;line-height:1.25;margin:0 0 .35rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
h1 .amount{white-space:nowrap}
.ask,.decide,form.edit,dl.facts{background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:.8rem 1rem}
.ask{margin:0 0 .75rem}.decide{margin:0 0 1rem;padding-bottom:.4rem}
.decide.docked{position:sticky;bottom:0;margin:0 0 .5rem;box-shadow:0 -2px 10px rgba(26,29,33,.12)}
.ask.critical{border:2px solid #6b21a8;background:#faf5ff}
.critical-label{margin:-.8rem -1rem .6rem;padding:.35rem 1rem;background:#6b21a8;color:#fff;border-radius:6px 6px 0 0;font-size:.9rem}
.summary{margin:0 0 .6rem;font-size:1.05rem}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.3rem .9rem;margin:0}
dt{font-weight:600;color:#3b4350}dd{margin:0}
dl.key dt{font-size:.85rem;padding-top:.1rem}
.left{white-space:nowrap;font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d9dde3}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e6e9ee;vertical-align:top}
td:last-child{overflow-wrap:anywhere}
.banner{display:flex;gap:.65rem;align-items:flex-start;padding:.65rem .9rem;border-radius:8px;margin:0 0 .75rem;border:1px solid;border-left-width:6px}
.banner .icon{flex:none;width:1.5rem;height:1.5rem;border-radius:50%;color:#fff;font-weight:700;text-align:center;line-height:1.5rem}
.ok{background:#e8f6ec;border-color:#1f7a3a}.ok .icon{background:#1f7a3a}
.bad{background:#fdeceb;border-color:#b42318}.bad .icon{background:#b42318}
.warn{background:#fff4e0;border-color:#b45309}.warn .icon{background:#b45309}
.info{background:#eef3fb;border-color:#3b6fb6}.info .icon{background:#3b6fb6}
form{margin:0 0 .7rem}form.edit{margin:1rem 0}
form.edit h2{margin:0 0 .25rem}
label{display:block;font-weight:600;margin:.5rem 0 .2rem;font-size:.95rem}
.decide label{margin-top:0}
input[type=text],input[type=number],textarea{width:100%;box-sizing:border-box;font:inherit;padding:.45rem;border:1px solid #9aa3af;border-radius:4px}
textarea{min-height:6rem}.decide textarea{min-height:0}
.row{display:flex;gap:.5rem;align-items:stretch}.row>input,.row>textarea{flex:1;min-width:0}
button{font:inherit;font-weight:700;min-height:2.75rem;padding:.5rem 1.1rem;border-radius:6px;border:1px solid #1a1d21;cursor:pointer}
.row button{flex:none;width:7.5rem}form.edit button{margin-top:.75rem}
.approve{background:#1f7a3a;color:#fff;border-color:#1f7a3a}.reject{background:#b42318;color:#fff;border-color:#b42318}
.standing{display:grid;grid-template-columns:auto minmax(0,1fr);gap:.3rem .55rem;align-items:start;margin:.7rem 0 0}.standing input[type=checkbox]{width:1.4rem;height:1.4rem;margin:.05rem 0 0}.standing label{margin:0;font-weight:400}.standing input[type=text],.standing .hint{grid-column:2}.standing input[type=text]{width:7rem}
.as{margin:0 0 .35rem}.edit-link{margin:.1rem 0 .4rem;font-size:.95rem}
:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
q.agent{background:#f1f2f5;border-left:3px solid #9aa3af;padding:0 .35rem;font-style:italic}
figure.code{margin:.75rem 0;background:#fff;border:1px solid #d9dde3;border-radius:8px;overflow:hidden}
figure.code figcaption{font-weight:600;padding:.4rem .8rem;border-bottom:1px solid #e6e9ee;background:#f8f9fb}
figure.code pre{padding:.6rem .8rem;background:#fbfbfc}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:14px/1.45 ui-monospace,Menlo,Consolas,monospace}
.hint{color:#4b5563;font-size:.9rem;font-weight:400;margin:.25rem 0 0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
ul.inbox,ul.results{list-style:none;padding:0;margin:0 0 1rem}ul.results li{display:block}
li.item{display:flex;gap:.7rem;align-items:flex-start;background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:.6rem .75rem;margin:0 0 .5rem}
li.item.critical{border:2px solid #6b21a8;background:#faf5ff}
li.item input[type=checkbox]{flex:none;width:1.6rem;height:1.6rem;margin:.15rem 0 0}
li.item .what{flex:1;min-width:0}li.item label{margin:0;font-size:1.05rem}li.item p{margin:.2rem 0 0}
.critical-tag{background:#6b21a8;color:#fff;border-radius:4px;padding:0 .35rem;font-size:.8rem}
.batch button{flex:1}
@media (max-width:36rem){main{padding:.6rem .6rem 2rem}.ask,.decide{padding:.7rem .75rem}.critical-label{margin:-.7rem -.75rem .5rem;padding:.35rem .75rem}dl.facts{grid-template-columns:minmax(0,1fr);gap:0}dl.facts dd{margin-bottom:.5rem}dl.key{gap:.2rem .6rem}table{font-size:.875rem}th,td{padding:.4rem .3rem}td:nth-child(3){overflow-wrap:anywhere;min-width:5rem}}
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
