#ifndef CSQLITESETTINGS_H
#define CSQLITESETTINGS_H

/// Turns off SQLite's memory statistics for this process (SQLITE_CONFIG_MEMSTATUS 0): every
/// allocation SQLite makes then skips a process-wide mutex and its counters. sqlite3_config is a
/// C variadic function, which Swift cannot call; this is its one use. It must come before SQLite
/// is first used in the process: afterwards it changes nothing and returns SQLITE_MISUSE (21).
/// Returns SQLITE_OK (0) when the setting took.
int fieldbook_sqlite_memstatus_off(void);

#endif
