// The viewer's page: self-contained (nothing fetched), and the embedded data comes back
// exactly, whatever strings a trace holds.
import { describe, expect, it } from 'vitest';
import type { ViewData } from '../../../src/view/build.ts';
import { escapeHtml, renderViewHtml, scriptJson } from '../../../src/view/html.ts';
import { lanesOf } from '../../../src/view/diagram.ts';

const hostile = '</script><script>alert(1)</script><!-- & \u2028';

const data: ViewData = {
  title: `t${hostile}`,
  summary: [`verdict: ${hostile}`],
  verdict: 'pass',
  failing: 1,
  lanes: lanesOf(2),
  rows: [
    {
      step: 1,
      number: '1',
      phase: 'run',
      from: 'd1',
      to: 'xen',
      label: hostile,
      model: 'ok',
      impl: 'ok',
      mismatch: false,
      failure: hostile,
    },
  ],
  panels: [],
};

/** The JSON inside the page's data element, parsed. */
function embedded(html: string): unknown {
  const m = /<script type="application\/json" id="view-data">([^<]*)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no data element');
  return JSON.parse(m[1]);
}

describe('renderViewHtml', () => {
  const html = renderViewHtml(data);

  it('embeds the data so that it parses back to exactly the same value', () => {
    expect(embedded(html)).toEqual(data);
  });

  it('a string from the trace cannot close the data element or open a script', () => {
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('<!--');
  });

  it('fetches nothing: no src, no external href or url(), no import; CSP forbids the rest', () => {
    expect(html).not.toMatch(/\ssrc=/);
    expect(html).not.toMatch(/href="(?!#)/);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/\bimport\b|fetch\(|XMLHttpRequest/);
    // The only address is the SVG namespace, a name rather than a request.
    expect(html.match(/https?:\/\/[^'"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).toContain("default-src 'none'");
  });
});

describe('escaping', () => {
  it('scriptJson leaves no < > & or line separator raw', () => {
    expect(scriptJson(hostile)).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(scriptJson(hostile))).toBe(hostile);
  });

  it('escapeHtml', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});
