import assert from 'node:assert/strict';
import { test } from 'node:test';
import { child, children, parseXml, xmlEscape } from './s3-xml.js';

test('parses the request documents S3 clients send, entities and namespaces included', () => {
  const doc = parseXml(
    '<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a &amp; b&lt;&#233;&#x41;</Key></Object><Object><Key><![CDATA[c<d]]></Key></Object><Quiet>true</Quiet></Delete>',
  );
  assert.equal(doc.name, 'Delete');
  assert.deepEqual(children(doc, 'Object').map((o) => child(o, 'Key')?.text), ['a & b<\u00e9A', 'c<d']);
  assert.equal(child(doc, 'Quiet')?.text, 'true');
  assert.equal(parseXml('<s3:RestoreRequest xmlns:s3="x"><s3:Days>2</s3:Days></s3:RestoreRequest>').children[0].name, 'Days');
});

test('refuses documents that are not well-formed', () => {
  for (const bad of ['', '<a>', '<a></b>', '<a>x & y</a>', '<a/><b/>', 'text', '<a><b></a></b>']) assert.throws(() => parseXml(bad), SyntaxError, bad);
});

test('escapes the five XML specials', () => {
  assert.equal(xmlEscape(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
});
