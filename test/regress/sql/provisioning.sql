-- Provisioning, as presence_admin: workspace_create (no-op when it exists), crew_create
-- (PR409 when another workspace holds the crew id, no-op when this one does), member_add
-- (no-op when already a member), member_remove (true when a membership was removed).

SET ROLE regress_admin;

-- workspace_create: a second call changes nothing and raises nothing.
SELECT presence.workspace_create('ws_prov');
RESET ROLE;
SELECT created_at AS ws_created FROM presence.workspaces WHERE workspace_id = 'ws_prov' \gset
SET ROLE regress_admin;
SELECT presence.workspace_create('ws_prov');
RESET ROLE;
SELECT count(*) AS workspaces, min(created_at) = :'ws_created' AS unchanged
    FROM presence.workspaces WHERE workspace_id = 'ws_prov';

-- Workspace ids are case-sensitive: WS_PROV is another workspace.
SET ROLE regress_admin;
SELECT presence.workspace_create('WS_PROV');
RESET ROLE;
SELECT workspace_id FROM presence.workspaces WHERE upper(workspace_id) = 'WS_PROV'
    ORDER BY workspace_id COLLATE "C";

-- crew_create: a crew belongs to one workspace; the same call again is a no-op.
SET ROLE regress_admin;
SELECT presence.workspace_create('ws_prov_other');
SELECT presence.crew_create('ws_prov', 'crw_prov');
SELECT presence.crew_create('ws_prov', 'crw_prov');
RESET ROLE;
SELECT crew_id, workspace_id FROM presence.crews WHERE crew_id = 'crw_prov';

-- The crew id is taken by another workspace: PR409, and nothing changes.
SET ROLE regress_admin;
SELECT * FROM regress.error_of($$ SELECT presence.crew_create('ws_prov_other', 'crw_prov') $$);
RESET ROLE;
SELECT crew_id, workspace_id FROM presence.crews WHERE crew_id = 'crw_prov';

-- A crew in a workspace that does not exist: PR404.
SET ROLE regress_admin;
SELECT * FROM regress.error_of($$
    SELECT presence.crew_create('ws_prov_nowhere', 'crw_prov_new') $$);
RESET ROLE;
SELECT count(*) AS crews FROM presence.crews WHERE crew_id = 'crw_prov_new';

-- member_add: a second call is a no-op; an unknown workspace is PR404.
SET ROLE regress_admin;
SELECT presence.member_add('ws_prov', 'usr_ada');
SELECT presence.member_add('ws_prov', 'usr_ada');
SELECT presence.member_add('ws_prov_other', 'usr_ada');
SELECT presence.member_add('ws_prov', 'usr_bob');
SELECT * FROM regress.error_of($$ SELECT presence.member_add('ws_prov_nowhere', 'usr_ada') $$);
RESET ROLE;
SELECT workspace_id, user_id FROM presence.members
    WHERE workspace_id LIKE 'ws\_prov%' ORDER BY 1, 2;

-- member_remove: true once, then false; other memberships stay.
SET ROLE regress_admin;
SELECT presence.member_remove('ws_prov', 'usr_ada') AS removed;
SELECT presence.member_remove('ws_prov', 'usr_ada') AS removed;
SELECT presence.member_remove('ws_prov', 'usr_nobody') AS removed;
SELECT presence.member_remove('ws_prov_nowhere', 'usr_bob') AS removed;
RESET ROLE;
SELECT workspace_id, user_id FROM presence.members
    WHERE workspace_id LIKE 'ws\_prov%' ORDER BY 1, 2;

-- NULL in each argument is PR400.
SET ROLE regress_admin;
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.workspace_create(NULL)$$,
                      $$presence.crew_create(NULL, 'crw_prov_null')$$,
                      $$presence.crew_create('ws_prov', NULL)$$,
                      $$presence.crew_create(NULL, NULL)$$,
                      $$presence.member_add(NULL, 'usr_ada')$$,
                      $$presence.member_add('ws_prov', NULL)$$,
                      $$presence.member_add(NULL, NULL)$$,
                      $$presence.member_remove(NULL, 'usr_bob')$$,
                      $$presence.member_remove('ws_prov', NULL)$$,
                      $$presence.member_remove(NULL, NULL)$$]) call,
         regress.error_of('SELECT ' || call) e;
RESET ROLE;
SELECT count(*) AS crews FROM presence.crews WHERE crew_id = 'crw_prov_null';
