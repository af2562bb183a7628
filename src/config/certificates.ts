/**
 * Client certificates as partners are named by them (issue 13): one canonical
 * text per way of naming a certificate, the same for the configuration's
 * `partners[].certificates` and for a certificate a client presents.
 *
 * - `sha256:<64 lower-case hex digits>`: exactly this certificate;
 * - `subject:<RDN>,<RDN>…` (attribute=value, sorted): any certificate of the CA with this subject;
 * - `san:<dns|email|uri|ip>:<value>`: any certificate of the CA naming this subject alternative name.
 */
import { X509Certificate } from 'node:crypto';

export type CertificateRef = { readonly sha256: string } | { readonly subject: string } | { readonly san: string };

const SAN_TYPES: Record<string, string> = { dns: 'dns', email: 'email', uri: 'uri', ip: 'ip', 'ip address': 'ip' };

function subjectText(rdns: readonly string[]): string {
  return `subject:${rdns.map((r) => r.trim()).filter((r) => r !== '').map((r) => {
    const at = r.indexOf('=');
    return `${r.slice(0, at).trim().toUpperCase()}=${r.slice(at + 1).trim()}`;
  }).sort().join(',')}`;
}

function sanText(entry: string): string | undefined {
  const at = entry.indexOf(':');
  const type = SAN_TYPES[entry.slice(0, at).trim().toLowerCase()];
  if (type === undefined || at < 0) return undefined;
  const value = entry.slice(at + 1).trim();
  return `san:${type}:${type === 'dns' || type === 'email' ? value.toLowerCase() : value}`;
}

/** The canonical text of a configured reference; undefined when it cannot name a certificate. */
export function certificateRefText(ref: CertificateRef): string | undefined {
  if ('sha256' in ref) {
    const hex = ref.sha256.replaceAll(':', '').toLowerCase();
    return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : undefined;
  }
  if ('subject' in ref) return ref.subject.includes('=') ? subjectText(ref.subject.split(',')) : undefined;
  return sanText(ref.san);
}

/**
 * The canonical text of a reference written as one text (`sha256:…`, `subject:…`,
 * `san:<type>:…`), as the command line and the admin API take it; undefined when it
 * names no certificate.
 */
export function parseCertificateText(text: string): string | undefined {
  const at = text.indexOf(':');
  if (at < 0) return undefined;
  const [kind, value] = [text.slice(0, at).trim().toLowerCase(), text.slice(at + 1)];
  if (kind === 'sha256') return certificateRefText({ sha256: value });
  if (kind === 'subject') return certificateRefText({ subject: value });
  if (kind === 'san') return certificateRefText({ san: value });
  return undefined;
}

/** Every canonical text naming a presented certificate (DER). */
export function certificateTexts(der: Buffer): string[] {
  const certificate = new X509Certificate(der);
  const texts = [`sha256:${certificate.fingerprint256.replaceAll(':', '').toLowerCase()}`, subjectText(certificate.subject.split('\n'))];
  for (const entry of (certificate.subjectAltName ?? '').split(', ')) {
    const text = entry === '' ? undefined : sanText(entry);
    if (text !== undefined) texts.push(text);
  }
  return texts;
}
