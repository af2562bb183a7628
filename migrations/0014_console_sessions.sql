-- Logins to the web console (issue 15). The browser holds a random token in an
-- HttpOnly cookie; the database holds only its SHA-256, so a copy of the database
-- opens no session. The CSRF token is given back to a logged-in page on request,
-- so it is kept as it is. Sessions end at expires_at or when the admin logs out.
CREATE TABLE console_sessions (
  token_hash text PRIMARY KEY,
  admin text NOT NULL,
  csrf_token text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
