-- Client certificates that name a partner (issue 13), as canonical texts
-- (src/config/certificates.ts: sha256:…, subject:…, san:…), and whether the
-- partner must present one of them in addition to its key or token.
ALTER TABLE partners
  ADD COLUMN certificates text[] NOT NULL DEFAULT '{}',
  ADD COLUMN require_certificate boolean NOT NULL DEFAULT false;
