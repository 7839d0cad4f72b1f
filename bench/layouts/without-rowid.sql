PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;
ATTACH 'SOURCE' AS src;
CREATE TABLE change3 (device_id TEXT NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL, op TEXT NOT NULL,
  fields TEXT NOT NULL, base TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (device_id, seq)) WITHOUT ROWID;
CREATE INDEX change3_by_record ON change3(record_id);
CREATE TABLE visit3 (id TEXT PRIMARY KEY NOT NULL, round_id TEXT NOT NULL, household_id TEXT NOT NULL, date TEXT NOT NULL, inspectors TEXT NOT NULL DEFAULT '[]',
  met TEXT, note TEXT, issues TEXT, follow_up TEXT, deleted INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL, created_hlc INTEGER NOT NULL, updated_hlc INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE other3 (id TEXT PRIMARY KEY NOT NULL, village TEXT, round TEXT, body TEXT, deleted INTEGER NOT NULL DEFAULT 0, created_by TEXT, created_hlc INTEGER, updated_hlc INTEGER) WITHOUT ROWID;
-- the staged rows
.timer on
BEGIN;
INSERT INTO change3 SELECT device_id, seq, hlc, kind, record_id, op, fields, base FROM temp.sc ORDER BY id;
INSERT INTO visit3 SELECT * FROM temp.sv;
INSERT INTO other3 SELECT * FROM temp.so;
COMMIT;
PRAGMA cache_size=-16384; PRAGMA threads=1;
CREATE INDEX visit3_tally ON visit3(household_id, round_id, date, created_by) WHERE deleted = 0;
PRAGMA wal_checkpoint(TRUNCATE);
