import { malformedXml } from './s3-error.js';
import { parseXml, type XmlElement } from './s3-xml.js';

/** A request document whose root element is `root`; anything else is S3's MalformedXML. */
export function readRequestDocument(body: Buffer, root: string): XmlElement {
  let doc: XmlElement;
  try {
    doc = parseXml(body.toString('utf8'));
  } catch {
    throw malformedXml();
  }
  if (doc.name !== root) throw malformedXml();
  return doc;
}
