-- token_issue returns a new bearer token, shown only this once: only its digest is stored.
-- token_revoke is true if a live token was revoked, so true once and then false.

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_tok');

SELECT presence.token_issue('usr_tok', 'ws_tok') AS tok \gset
SELECT presence.token_issue('usr_tok') AS tok_nows \gset
SELECT presence.token_issue('usr_tok', 'ws_tok', '1 hour') AS tok_hour \gset

-- The shape: prs_ and the base64url of 32 random bytes; every token is new.
SELECT t ~ '^prs_[A-Za-z0-9_-]{43}$' AS token_shaped
    FROM unnest(ARRAY[:'tok', :'tok_nows', :'tok_hour']) t;
SELECT count(DISTINCT t) AS distinct_tokens
    FROM unnest(ARRAY[:'tok', :'tok_nows', :'tok_hour',
                      presence.token_issue('usr_tok', 'ws_tok')]) t;

-- What is stored: the SHA-256 digest, the user, the workspace (or none), and an expiry of
-- ttl (30 days by default). The token itself appears nowhere in the table.
RESET ROLE;
SET IntervalStyle = 'postgres';
SELECT v.label, t.user_id, t.workspace_id, t.expires_at - t.issued_at AS ttl,
       t.revoked_at IS NULL AS live
    FROM (VALUES ('tok', :'tok'), ('tok_nows', :'tok_nows'),
                 ('tok_hour', :'tok_hour')) v(label, token)
    LEFT JOIN presence.tokens t ON t.digest = sha256(convert_to(v.token, 'UTF8'))
    ORDER BY v.label;
SELECT count(*) AS rows_holding_the_token FROM presence.tokens t
    WHERE strpos(t::text, :'tok') > 0 OR position(convert_to(:'tok', 'UTF8') IN t.digest) > 0;
SELECT column_name FROM information_schema.columns
    WHERE table_schema = 'presence' AND table_name = 'tokens' ORDER BY ordinal_position;

-- Revocation: true once, then false. A token never issued, or of the wrong shape: false.
SET ROLE regress_admin;
SELECT presence.token_revoke(:'tok') AS revoked;
SELECT presence.token_revoke(:'tok') AS revoked;
SELECT presence.token_revoke('prs_' || repeat('A', 43)) AS revoked;
SELECT presence.token_revoke('not a token') AS revoked;
RESET ROLE;
SELECT revoked_at IS NOT NULL AS revoked, revoked_at <= now() AS revoked_in_the_past
    FROM presence.tokens WHERE digest = sha256(convert_to(:'tok', 'UTF8'));
-- Revoking one token leaves the user's other tokens live.
SELECT count(*) AS live_tokens FROM presence.tokens
    WHERE digest IN (sha256(convert_to(:'tok_nows', 'UTF8')),
                     sha256(convert_to(:'tok_hour', 'UTF8')))
      AND revoked_at IS NULL;

-- An expired token is no longer live: revoking it is false.
SET ROLE regress_admin;
SELECT presence.token_issue('usr_tok', 'ws_tok', '1 millisecond') AS tok_short \gset
SELECT pg_sleep(0.05);
SELECT presence.token_revoke(:'tok_short') AS revoked;
RESET ROLE;
SELECT expires_at < now() AS expired, revoked_at IS NULL AS never_revoked
    FROM presence.tokens WHERE digest = sha256(convert_to(:'tok_short', 'UTF8'));

-- Bad arguments: an unknown workspace is PR404; a bad user id, a bad workspace id, a NULL
-- user, a NULL, zero or negative ttl, and a NULL token are PR400. No token is stored.
RESET ROLE;
SELECT count(*) AS tokens_before FROM presence.tokens \gset
SET ROLE regress_admin;
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.token_issue('usr_tok', 'ws_tok_nowhere')$$,
                      $$presence.token_issue(NULL)$$,
                      $$presence.token_issue(NULL, 'ws_tok')$$,
                      $$presence.token_issue(NULL, NULL, NULL)$$,
                      $$presence.token_issue('usr_tok', 'ws_tok', NULL)$$,
                      $$presence.token_issue('usr_tok', NULL, NULL)$$,
                      $$presence.token_issue('usr_tok', 'ws_tok', '0')$$,
                      $$presence.token_issue('usr_tok', 'ws_tok', '-1 day')$$,
                      $$presence.token_revoke(NULL)$$]) call,
         regress.error_of('SELECT ' || call) e;
RESET ROLE;
SELECT count(*) - :tokens_before AS tokens_added FROM presence.tokens;
