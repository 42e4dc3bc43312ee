-- Ids (workspace, crew, agent, user) are 1 to 128 characters from A-Z a-z 0-9 . _ : -
-- Every function checks every id it is given and answers PR400 for one of another form.

SET ROLE regress_admin;

-- Every allowed character, one character, and exactly 128 characters are all fine.
SELECT presence.workspace_create('ws_ids');
SELECT presence.workspace_create('Az09._:-');
SELECT presence.workspace_create('w');
SELECT presence.workspace_create(repeat('w', 128));
SELECT presence.crew_create('ws_ids', 'Az09._:-');
SELECT presence.crew_create('ws_ids', repeat('c', 128));
SELECT presence.member_add('ws_ids', 'Az09._:-');
SELECT presence.member_add('ws_ids', repeat('u', 128));
SELECT presence.token_issue(repeat('u', 128), repeat('w', 128)) ~ '^prs_' AS issued;

RESET ROLE;
SELECT length(workspace_id) AS len, count(*) FROM presence.workspaces
    WHERE workspace_id IN ('ws_ids', 'Az09._:-', 'w', repeat('w', 128))
    GROUP BY 1 ORDER BY 1;
SELECT crew_id = repeat('c', 128) AS long_crew, length(crew_id) AS len
    FROM presence.crews WHERE workspace_id = 'ws_ids' ORDER BY 2;
SELECT length(user_id) AS len FROM presence.members WHERE workspace_id = 'ws_ids' ORDER BY 1;

SET ROLE regress_writer;
SELECT length(agent_id) AS agent_len, length(crew_id) AS crew_len, status
    FROM presence.presence_upsert('ws_ids', repeat('a', 128), 'online', repeat('c', 128));
SELECT agent_id, crew_id, status
    FROM presence.presence_upsert('ws_ids', 'Az09._:-', 'online', 'Az09._:-');
SELECT presence.presence_touch('ws_ids', repeat('a', 128)) AS touched;

SET ROLE regress_reader;
SELECT length(agent_id) AS len, status FROM presence.presence_roster('ws_ids', repeat('c', 128));

-- Ids of another form: empty, 129 characters, a space, a slash, a non-ASCII letter, a
-- percent sign, a tab, a quote. Each one, in each id argument of each function.
RESET ROLE;
CREATE TEMP TABLE bad_ids (label text, id text);
INSERT INTO bad_ids VALUES
    ('empty', ''), ('129 chars', repeat('x', 129)), ('space', 'a b'), ('slash', 'a/b'),
    ('non-ASCII', 'agént'), ('percent', 'a%20b'), ('tab', E'a\tb'), ('quote', 'a''b'),
    ('trailing newline', E'abc\n');
GRANT SELECT ON bad_ids TO PUBLIC;

CREATE TEMP TABLE id_calls (fn text, call text);
INSERT INTO id_calls VALUES
    ('workspace_create', 'presence.workspace_create(%L)'),
    ('crew_create ws', 'presence.crew_create(%L, ''crw_ids'')'),
    ('crew_create crew', 'presence.crew_create(''ws_ids'', %L)'),
    ('member_add ws', 'presence.member_add(%L, ''usr_ids'')'),
    ('member_add user', 'presence.member_add(''ws_ids'', %L)'),
    ('member_remove ws', 'presence.member_remove(%L, ''usr_ids'')'),
    ('member_remove user', 'presence.member_remove(''ws_ids'', %L)'),
    ('token_issue user', 'presence.token_issue(%L, ''ws_ids'')'),
    ('token_issue ws', 'presence.token_issue(''usr_ids'', %L)');
GRANT SELECT ON id_calls TO PUBLIC;

-- Every combination fails with PR400 and a message that names the argument.
SET ROLE regress_admin;
SELECT c.fn, e.sqlstate, e.message, count(*) AS ids
    FROM id_calls c CROSS JOIN bad_ids b,
         regress.error_of('SELECT ' || format(c.call, b.id)) e
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

SET ROLE regress_writer;
SELECT c.fn, e.sqlstate, e.message, count(*) AS ids
    FROM (VALUES ('upsert ws', 'presence.presence_upsert(%L, ''agt_ids'', ''online'')'),
                 ('upsert agent', 'presence.presence_upsert(''ws_ids'', %L, ''online'')'),
                 ('upsert crew',
                  'presence.presence_upsert(''ws_ids'', ''agt_ids'', ''online'', %L)'),
                 ('touch ws', 'presence.presence_touch(%L, ''agt_ids'')'),
                 ('touch agent', 'presence.presence_touch(''ws_ids'', %L)')) c(fn, call)
         CROSS JOIN bad_ids b,
         regress.error_of('SELECT ' || format(c.call, b.id)) e
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

SET ROLE regress_reader;
SELECT c.fn, e.sqlstate, e.message, count(*) AS ids
    FROM (VALUES ('roster ws', 'presence.presence_roster(%L)'),
                 ('roster crew', 'presence.presence_roster(''ws_ids'', %L)')) c(fn, call)
         CROSS JOIN bad_ids b,
         regress.error_of('SELECT * FROM ' || format(c.call, b.id)) e
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- The detail says what an id is and what is wrong with this one.
SELECT b.label, e.detail
    FROM bad_ids b, regress.error_of(format('SELECT * FROM presence.presence_roster(%L)', b.id)) e
    ORDER BY 1;

-- Nothing was written by any of the failed calls.
RESET ROLE;
SELECT count(*) AS workspaces FROM presence.workspaces
    WHERE workspace_id IN (SELECT id FROM bad_ids);
SELECT count(*) AS crews FROM presence.crews WHERE crew_id IN (SELECT id FROM bad_ids);
SELECT count(*) AS agents FROM presence.agents
    WHERE agent_id IN (SELECT id FROM bad_ids) OR crew_id IN (SELECT id FROM bad_ids);
SELECT count(*) AS members FROM presence.members WHERE user_id IN (SELECT id FROM bad_ids);
