-- The rows the two sketched layouts write, copied into memory first (untimed): the laptops' changes,
-- the visits, and the other field records as their keys and a placeholder body. run.sh puts this
-- where a script says "-- the staged rows".
CREATE TEMP TABLE sc AS SELECT c.* FROM src.change c JOIN src.device d ON d.id = c.device_id WHERE d.name LIKE '笔记本%' ORDER BY c.id;
CREATE TEMP TABLE sv AS SELECT * FROM src.visit ORDER BY rowid;
CREATE TEMP TABLE so AS SELECT id, village_id, round_id, 'x' AS body, deleted, created_by, created_hlc, updated_hlc FROM src.problem UNION ALL
  SELECT id, village_id, round_id, 'x', deleted, created_by, created_hlc, updated_hlc FROM src.forum UNION ALL
  SELECT id, village_id, round_id, 'x', deleted, created_by, created_hlc, updated_hlc FROM src.notice UNION ALL
  SELECT id, village_id, round_id, 'x', deleted, created_by, created_hlc, updated_hlc FROM src.fix;
