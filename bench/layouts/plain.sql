PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
ATTACH 'SOURCE' AS src;
CREATE TABLE change (record_id TEXT PRIMARY KEY NOT NULL, device_id TEXT NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL, kind TEXT NOT NULL, op TEXT NOT NULL, fields TEXT NOT NULL, base TEXT NOT NULL);
CREATE TEMP TABLE sc AS SELECT c.* FROM src.change c JOIN src.device d ON d.id = c.device_id WHERE d.name LIKE '笔记本%' ORDER BY c.id;
.timer on
BEGIN;
INSERT INTO change (record_id, device_id, seq, hlc, kind, op, fields, base) SELECT record_id, device_id, seq, hlc, kind, op, fields, base FROM temp.sc WHERE true ORDER BY id
 ON CONFLICT (record_id) DO UPDATE SET device_id = excluded.device_id, seq = excluded.seq, hlc = excluded.hlc, kind = excluded.kind, op = excluded.op, fields = excluded.fields, base = excluded.base WHERE excluded.hlc > change.hlc;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
