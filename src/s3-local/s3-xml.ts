/**
 * The little XML S3 needs: escaping for responses, and a strict reader for the
 * small request documents (CompleteMultipartUpload, Delete, RestoreRequest,
 * CreateBucketConfiguration) that yields an element tree. Namespaces are ignored;
 * anything that is not well-formed throws. Pure.
 */

/** An XML element: name without prefix, text content (entities decoded), children in order. */
export interface XmlElement {
  name: string;
  text: string;
  children: XmlElement[];
}

/** Escapes text for element content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** `<name>text</name>` with the text escaped; nothing when `value` is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** The document's root element; throws SyntaxError when it is not well-formed. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`XML: ${what} at offset ${i}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) fail('unterminated declaration');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') fail('expected an element');
    const tag = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(text.slice(i, i + 4096));
    if (!tag) fail('malformed start tag');
    i += tag![0].length;
    const qname = tag![1];
    const node: XmlElement = { name: qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname, text: '', children: [] };
    if (tag![3] === '/') return node;
    for (;;) {
      if (i >= text.length) fail(`unterminated element ${qname}`);
      if (text.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i, i + 300));
        if (!close || close[1] !== qname) fail(`mismatched end tag for ${qname}`);
        i += close![0].length;
        return node;
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        node.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text[i] === '<') {
        node.children.push(element());
      } else {
        const next = text.indexOf('<', i);
        const end = next < 0 ? text.length : next;
        node.text += decodeEntities(text.slice(i, end), fail);
        i = end;
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== text.length) fail('content after the root element');
  return root;
}

/** The first child named `name`. */
export function child(node: XmlElement, name: string): XmlElement | undefined {
  return node.children.find((c) => c.name === name);
}

/** Every child named `name`. */
export function children(node: XmlElement, name: string): XmlElement[] {
  return node.children.filter((c) => c.name === name);
}

function decodeEntities(s: string, fail: (what: string) => never): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) return fail('bare & in text');
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[ent];
  });
}
