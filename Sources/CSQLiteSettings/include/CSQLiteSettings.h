#ifndef CSQLITESETTINGS_H
#define CSQLITESETTINGS_H

/// Turns off SQLite's memory statistics for this process (SQLITE_CONFIG_MEMSTATUS 0): every
/// allocation SQLite makes then skips a process-wide mutex and its counters. sqlite3_config is a
/// C variadic function, which Swift cannot call; this is its one use. It must come before SQLite
/// is first used in the process, so it is made as the program is loaded (a constructor), and this
/// answers what SQLite said then: SQLITE_OK (0) when the setting took, SQLITE_MISUSE (21) when
/// SQLite was in use before (it then changed nothing).
int fieldbook_sqlite_memstatus_off(void);

struct sqlite3;

/// Puts a VFS named "fieldbook-log" in front of the process's default one, as the new default.
/// Every file but a database and its write-ahead log is the default VFS's own, untouched; a
/// database's file only tells its log when its connection gives up the log's write lock, and a
/// log's file is written as before until its connection asks for gathering (below). Call it
/// before the first connection whose log should gather; again, it changes nothing. Returns
/// SQLITE_OK (0) when it took (or had taken); otherwise nothing changed.
int fieldbook_log_gathering_install(void);

/// Asks that the write-ahead log of `db`'s main database gather its writes: writes that follow one
/// another are kept, up to a mebibyte, and handed to the system in pieces of 64 KiB, not one write
/// for each frame's header and one for its page. A log's frames are 24 bytes longer than a page,
/// so each frame written alone began or ended inside a disk block the file did not hold yet, and
/// the kernel zeroed that block's rest before the write: 15% of a merge's writer's time, with two
/// system calls for each page (docs/PERFORMANCE.md, "Merge speed", eighth round). What reaches the file, and
/// when it is synced, is the same; only the number and size of the writes differ.
///
/// Only while the connection syncs its log at each commit (synchronous FULL or EXTRA) and its
/// database file overwrites safely (psow, SQLite's default): SQLite tells other connections of a
/// commit's frames only after syncing them, and every sync hands on what was gathered first. The
/// setting is asked at each call. Call it at the start of a write transaction, before its first
/// write, and end it with fieldbook_log_gathering_off once the transaction has ended: gathering
/// does not end by itself (a connection set to NORMAL since would publish frames still gathered),
/// and what a rolled-back transaction gathered must not outlive it (it is written out, where
/// nobody reads it, as the connection gives up the log's write lock). Returns 1 when the log
/// gathers now, 0 when not (another setting of synchronous, psow off, no log open, or the VFS not
/// installed; the log is then written as before), -1 when what was gathered could not be written
/// while stopping (gathering has stopped all the same).
int fieldbook_log_gathering_on(struct sqlite3 *db);

/// Ends what fieldbook_log_gathering_on began: call it when the connection's transaction has ended
/// (committed or rolled back), before the connection does anything else. What a rolled-back
/// transaction gathered is dropped: other connections may write the log where it would have gone.
/// Within a write transaction, what is gathered is written out. The log is then written as before
/// until the next fieldbook_log_gathering_on. Returns 0, or -1 when what was gathered could not be
/// written.
int fieldbook_log_gathering_off(struct sqlite3 *db);

#endif
