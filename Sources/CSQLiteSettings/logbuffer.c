// Writes to a write-ahead log gathered into runs of a mebibyte (see CSQLiteSettings.h).
//
// A VFS in front of the system's default one. Every file but a database and its write-ahead log
// is the default VFS's own file, untouched; a database's file is wrapped only to see its
// connection give up the log's write lock (below). A log's file is wrapped: while its connection
// has not asked for gathering, each call goes straight through; once it has, writes that follow
// one another are kept in memory and handed on when the run is full, and before anything that must
// see them: a sync, a read or write elsewhere in the file, its size, a truncation, a file control,
// a close. SQLite publishes a commit's frames to other connections only after syncing them, so
// with synchronous = FULL (and a database file that overwrites safely, psow) nobody reads what is
// still gathered here. A transaction that rolls back leaves what it spilled gathered: it is
// written out as its connection gives up the log's write lock, where nobody reads it, before
// another connection's frames can land where it would be read back or written over them; and the
// caller ends gathering after each transaction (fieldbook_log_gathering_off), which would drop it.

#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "CSQLiteSettings.h"

#define LOG_RUN (1 << 20)
#define LOG_PIECE (1 << 16)

typedef struct LogFile {
    sqlite3_file base;      // methods: logMethods
    sqlite3_file *real;     // the default VFS's file, in the memory after this struct
    int gather;             // set by fieldbook_log_gathering_on
    unsigned char *run;     // LOG_RUN bytes once gathering starts
    sqlite3_int64 start;    // the file offset of run[0]
    int length;             // bytes gathered
    struct DbFile *database; // the database file whose log this is, while both are open
} LogFile;

// A database's own file, wrapped only to see its connection give up the log's write lock: by then
// every commit of that connection is synced, so whatever its log still holds gathered is what a
// transaction that rolled back wrote (SQLite rolls back by itself on a full disk or an I/O error,
// and a caller may go on after that). It is written out just before the lock goes, where nobody
// reads it, never later, when another connection may have committed frames there.
typedef struct DbFile {
    sqlite3_file base;      // methods: dbMethods
    sqlite3_file *real;     // the default VFS's file, after this struct (as in LogFile)
    LogFile *log;           // its log's file, while open
} DbFile;

// The methods both wrappers share (locks, sizes, shared memory) read `real` where both keep it.
_Static_assert(offsetof(LogFile, real) == offsetof(DbFile, real), "LogFile and DbFile keep `real` in one place");

// SQLite's lock on the log for writing: the first of the shared-memory locks (WAL_WRITE_LOCK).
#define LOG_WRITE_LOCK 0

static sqlite3_vfs logVFS;
static sqlite3_vfs *defaultVFS;
// One table for each version a default file may have (1 to 3), made once at install: a file's
// methods are the table of its own version, and no table is written once connections open files
// (two threads opening logs at once wrote the one shared table's version).
static sqlite3_io_methods logMethods[4];

// Hands the gathered run on. On an error the run is dropped: SQLite hears of the error from this
// call (a sync, a read, a write) and rolls the transaction back, as when the write itself failed.
//
// The default VFS writes at most 128 KiB at a time (it masks a longer length), so the run goes in
// pieces that end on the file's 64 KiB boundaries: whole disk blocks, but for the run's two ends.
static int flush(LogFile *f) {
    int length = f->length;
    f->length = 0;
    for (int done = 0; done < length;) {
        sqlite3_int64 offset = f->start + done;
        int piece = LOG_PIECE - (int)(offset % LOG_PIECE);
        if (piece > length - done) piece = length - done;
        int rc = f->real->pMethods->xWrite(f->real, f->run + done, piece, offset);
        if (rc != SQLITE_OK) return rc;
        done += piece;
    }
    return SQLITE_OK;
}

static int logClose(sqlite3_file *file) {
    LogFile *f = (LogFile *)file;
    if (f->database != NULL) f->database->log = NULL;
    f->database = NULL;
    int rc = flush(f);
    int closed = f->real->pMethods->xClose(f->real);
    free(f->run);
    f->run = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int logRead(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset) {
    LogFile *f = (LogFile *)file;
    if (f->length > 0 && offset < f->start + f->length && offset + amount > f->start) {
        if (offset >= f->start && offset + amount <= f->start + f->length) {
            memcpy(buffer, f->run + (offset - f->start), (size_t)amount);
            return SQLITE_OK;
        }
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    return f->real->pMethods->xRead(f->real, buffer, amount, offset);
}

static int logWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    LogFile *f = (LogFile *)file;
    if (!f->gather) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (f->length > 0) {
        // Within what is gathered (SQLite rewrites a frame of the open transaction): in place.
        if (offset >= f->start && offset + amount <= f->start + f->length) {
            memcpy(f->run + (offset - f->start), data, (size_t)amount);
            return SQLITE_OK;
        }
        // Right after it, with room: appended.
        if (offset == f->start + f->length && f->length + amount <= LOG_RUN) {
            memcpy(f->run + f->length, data, (size_t)amount);
            f->length += amount;
            return SQLITE_OK;
        }
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    if (amount >= LOG_RUN) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (f->run == NULL && (f->run = malloc(LOG_RUN)) == NULL) {
        f->gather = 0;
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    }
    memcpy(f->run, data, (size_t)amount);
    f->start = offset;
    f->length = amount;
    return SQLITE_OK;
}

static int logTruncate(sqlite3_file *file, sqlite3_int64 size) {
    LogFile *f = (LogFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int logSync(sqlite3_file *file, int flags) {
    LogFile *f = (LogFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int logFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    LogFile *f = (LogFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int logLock(sqlite3_file *file, int lock) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xLock(f->real, lock);
}

static int logUnlock(sqlite3_file *file, int lock) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xUnlock(f->real, lock);
}

static int logCheckReservedLock(sqlite3_file *file, int *result) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, result);
}

static int logFileControl(sqlite3_file *file, int op, void *argument) {
    LogFile *f = (LogFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, argument);
}

static int logSectorSize(sqlite3_file *file) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int logDeviceCharacteristics(sqlite3_file *file) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int logShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **memory) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xShmMap(f->real, region, size, extend, memory);
}

static int logShmLock(sqlite3_file *file, int offset, int n, int flags) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void logShmBarrier(sqlite3_file *file) {
    LogFile *f = (LogFile *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int logShmUnmap(sqlite3_file *file, int deleteFlag) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xShmUnmap(f->real, deleteFlag);
}

static int logFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **page) {
    LogFile *f = (LogFile *)file;
    int rc = flush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFetch(f->real, offset, amount, page);
}

static int logUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) {
    LogFile *f = (LogFile *)file;
    return f->real->pMethods->xUnfetch(f->real, offset, page);
}

static int dbClose(sqlite3_file *file) {
    DbFile *d = (DbFile *)file;
    if (d->log != NULL) d->log->database = NULL;
    d->log = NULL;
    return d->real->pMethods->xClose(d->real);
}

static int dbRead(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset) {
    DbFile *d = (DbFile *)file;
    return d->real->pMethods->xRead(d->real, buffer, amount, offset);
}

static int dbWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    DbFile *d = (DbFile *)file;
    return d->real->pMethods->xWrite(d->real, data, amount, offset);
}

static int dbTruncate(sqlite3_file *file, sqlite3_int64 size) {
    DbFile *d = (DbFile *)file;
    return d->real->pMethods->xTruncate(d->real, size);
}

static int dbSync(sqlite3_file *file, int flags) {
    DbFile *d = (DbFile *)file;
    return d->real->pMethods->xSync(d->real, flags);
}

static int dbFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    DbFile *d = (DbFile *)file;
    return d->real->pMethods->xFileSize(d->real, size);
}

static int dbFileControl(sqlite3_file *file, int op, void *argument) {
    DbFile *d = (DbFile *)file;
    // A PRAGMA that sets synchronous (to anything) ends gathering on this database's log, what it
    // holds written out: a connection set to NORMAL commits without a sync, and would publish a
    // commit still gathered. Only fieldbook_log_gathering_on, which asks the setting, starts it
    // again.
    if (op == SQLITE_FCNTL_PRAGMA && d->log != NULL) {
        char **a = (char **)argument;
        if (a[1] != NULL && a[2] != NULL && sqlite3_stricmp(a[1], "synchronous") == 0) {
            (void)flush(d->log);
            d->log->gather = 0;
        }
    }
    return d->real->pMethods->xFileControl(d->real, op, argument);
}

// Before the log's write lock goes, what the log still holds gathered is written out, while no
// other connection can write the log: past the last commit, where nobody reads (the frames of a
// transaction that rolled back). A write that fails then loses nothing committed.
static int dbShmLock(sqlite3_file *file, int offset, int n, int flags) {
    DbFile *d = (DbFile *)file;
    if ((flags & SQLITE_SHM_UNLOCK) && offset == LOG_WRITE_LOCK && d->log != NULL) (void)flush(d->log);
    return d->real->pMethods->xShmLock(d->real, offset, n, flags);
}

// In exclusive locking mode SQLite takes no shared-memory locks; the connection gives up its
// EXCLUSIVE lock on the database's file as it leaves that mode, still alone: flushed first.
static int dbUnlock(sqlite3_file *file, int lock) {
    DbFile *d = (DbFile *)file;
    if (d->log != NULL) (void)flush(d->log);
    return d->real->pMethods->xUnlock(d->real, lock);
}

static int dbFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **page) {
    DbFile *d = (DbFile *)file;
    return d->real->pMethods->xFetch(d->real, offset, amount, page);
}

// The database file methods of each version (1 to 3), made once at install like logMethods.
static sqlite3_io_methods dbMethods[4];

static int logOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    if (flags & SQLITE_OPEN_MAIN_DB) {
        DbFile *d = (DbFile *)file;
        memset(d, 0, sizeof(DbFile));
        d->real = (sqlite3_file *)&d[1];
        int rc = defaultVFS->xOpen(defaultVFS, name, d->real, flags, outFlags);
        if (rc != SQLITE_OK || d->real->pMethods == NULL) {
            d->base.pMethods = NULL;
            return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
        }
        int version = d->real->pMethods->iVersion;
        d->base.pMethods = &dbMethods[version < 1 ? 1 : version > 3 ? 3 : version];
        return SQLITE_OK;
    }
    if (!(flags & SQLITE_OPEN_WAL)) return defaultVFS->xOpen(defaultVFS, name, file, flags, outFlags);
    LogFile *f = (LogFile *)file;
    memset(f, 0, sizeof(LogFile));
    f->real = (sqlite3_file *)&f[1];
    int rc = defaultVFS->xOpen(defaultVFS, name, f->real, flags, outFlags);
    if (rc != SQLITE_OK || f->real->pMethods == NULL) {
        f->base.pMethods = NULL;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    // The methods the default file has (its version) and no more.
    int version = f->real->pMethods->iVersion;
    f->base.pMethods = &logMethods[version < 1 ? 1 : version > 3 ? 3 : version];
    // Told to the database's file, which sees the log's write lock given up.
    sqlite3_file *database = sqlite3_database_file_object(name);
    if (database != NULL && database->pMethods != NULL && database->pMethods->xShmLock == dbShmLock) {
        f->database = (DbFile *)database;
        f->database->log = f;
    }
    return SQLITE_OK;
}

static int logDelete(sqlite3_vfs *v, const char *name, int syncDir) { (void)v; return defaultVFS->xDelete(defaultVFS, name, syncDir); }
static int logAccess(sqlite3_vfs *v, const char *name, int flags, int *out) { (void)v; return defaultVFS->xAccess(defaultVFS, name, flags, out); }
static int logFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) { (void)v; return defaultVFS->xFullPathname(defaultVFS, name, n, out); }
static void *logDlOpen(sqlite3_vfs *v, const char *name) { (void)v; return defaultVFS->xDlOpen(defaultVFS, name); }
static void logDlError(sqlite3_vfs *v, int n, char *out) { (void)v; defaultVFS->xDlError(defaultVFS, n, out); }
static void (*logDlSym(sqlite3_vfs *v, void *handle, const char *symbol))(void) { (void)v; return defaultVFS->xDlSym(defaultVFS, handle, symbol); }
static void logDlClose(sqlite3_vfs *v, void *handle) { (void)v; defaultVFS->xDlClose(defaultVFS, handle); }
static int logRandomness(sqlite3_vfs *v, int n, char *out) { (void)v; return defaultVFS->xRandomness(defaultVFS, n, out); }
static int logSleep(sqlite3_vfs *v, int micros) { (void)v; return defaultVFS->xSleep(defaultVFS, micros); }
static int logCurrentTime(sqlite3_vfs *v, double *out) { (void)v; return defaultVFS->xCurrentTime(defaultVFS, out); }
static int logGetLastError(sqlite3_vfs *v, int n, char *out) { (void)v; return defaultVFS->xGetLastError ? defaultVFS->xGetLastError(defaultVFS, n, out) : 0; }
static int logCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *out) { (void)v; return defaultVFS->xCurrentTimeInt64(defaultVFS, out); }
static int logSetSystemCall(sqlite3_vfs *v, const char *name, sqlite3_syscall_ptr call) { (void)v; return defaultVFS->xSetSystemCall(defaultVFS, name, call); }
static sqlite3_syscall_ptr logGetSystemCall(sqlite3_vfs *v, const char *name) { (void)v; return defaultVFS->xGetSystemCall(defaultVFS, name); }
static const char *logNextSystemCall(sqlite3_vfs *v, const char *name) { (void)v; return defaultVFS->xNextSystemCall(defaultVFS, name); }

int fieldbook_log_gathering_install(void) {
    if (defaultVFS != NULL) return SQLITE_OK;
    sqlite3_vfs *found = sqlite3_vfs_find(NULL);
    // Only over the system's own VFS of version 3, whose every method is forwarded here.
    if (found == NULL || found->iVersion < 3) return SQLITE_ERROR;
    defaultVFS = found;
    for (int version = 1; version <= 3; version++) {
        logMethods[version] = (sqlite3_io_methods){
            version, logClose, logRead, logWrite, logTruncate, logSync, logFileSize, logLock, logUnlock,
            logCheckReservedLock, logFileControl, logSectorSize, logDeviceCharacteristics,
            logShmMap, logShmLock, logShmBarrier, logShmUnmap, logFetch, logUnfetch,
        };
    }
    for (int version = 1; version <= 3; version++) {
        dbMethods[version] = (sqlite3_io_methods){
            version, dbClose, dbRead, dbWrite, dbTruncate, dbSync, dbFileSize, logLock, dbUnlock,
            logCheckReservedLock, dbFileControl, logSectorSize, logDeviceCharacteristics,
            logShmMap, dbShmLock, logShmBarrier, logShmUnmap, dbFetch, logUnfetch,
        };
    }
    int wrapper = sizeof(LogFile) > sizeof(DbFile) ? (int)sizeof(LogFile) : (int)sizeof(DbFile);
    logVFS = (sqlite3_vfs){
        3, wrapper + found->szOsFile, found->mxPathname, NULL, "fieldbook-log", NULL,
        logOpen, logDelete, logAccess, logFullPathname, logDlOpen, logDlError, logDlSym, logDlClose,
        logRandomness, logSleep, logCurrentTime, logGetLastError, logCurrentTimeInt64,
        logSetSystemCall, logGetSystemCall, logNextSystemCall,
    };
    int rc = sqlite3_vfs_register(&logVFS, 1);
    if (rc != SQLITE_OK) defaultVFS = NULL;
    return rc;
}

// The log file of `db`'s main database when it is one of this VFS's, else NULL.
static LogFile *logFileOf(sqlite3 *db) {
    sqlite3_file *file = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK || file == NULL
        || (file->pMethods != &logMethods[1] && file->pMethods != &logMethods[2] && file->pMethods != &logMethods[3]))
        return NULL;
    return (LogFile *)file;
}

// What a connection gathered and still holds once it has no write transaction is nothing of a
// commit (each commit synced it): it is what a transaction that rolled back spilled to the log.
// Other connections write the log after that transaction, maybe where those frames were: they are
// dropped, never read back nor written out over another's commit.
static void dropStale(sqlite3 *db, LogFile *f) {
    if (f->length > 0 && sqlite3_txn_state(db, "main") != SQLITE_TXN_WRITE) f->length = 0;
}

int fieldbook_log_gathering_on(sqlite3 *db) {
    LogFile *f = logFileOf(db);
    if (f == NULL) return 0;
    dropStale(db, f);
    // Only while the connection syncs its log at every commit (synchronous FULL or EXTRA), asked
    // each time: a connection set to NORMAL since would otherwise publish frames still gathered.
    sqlite3_stmt *statement = NULL;
    int synchronous = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &statement, NULL) == SQLITE_OK
        && sqlite3_step(statement) == SQLITE_ROW)
        synchronous = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    // Nor where the database's file does not overwrite safely (psow=0): SQLite then pads a commit
    // to a sector and writes the end of the last padding frame after its sync, then publishes it.
    sqlite3_file *database = NULL;
    int safe = sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &database) == SQLITE_OK && database != NULL
        && database->pMethods != NULL
        && (database->pMethods->xDeviceCharacteristics(database) & SQLITE_IOCAP_POWERSAFE_OVERWRITE) != 0;
    if (synchronous < 2 || !safe) {
        int rc = f->gather ? flush(f) : SQLITE_OK;
        f->gather = 0;  // stopped even when what was gathered could not be written
        return rc != SQLITE_OK ? -1 : 0;
    }
    f->gather = 1;
    return 1;
}

int fieldbook_log_gathering_off(sqlite3 *db) {
    LogFile *f = logFileOf(db);
    if (f == NULL) return 0;
    dropStale(db, f);
    // Within a write transaction (called before its end), what it gathered is written out.
    int rc = f->gather ? flush(f) : SQLITE_OK;
    f->gather = 0;
    return rc == SQLITE_OK ? 0 : -1;
}
