#include <sqlite3.h>
#include "CSQLiteSettings.h"

// What sqlite3_config answered the first time; -1 before it was asked.
static int memstatusResult = -1;

int fieldbook_sqlite_memstatus_off(void) {
    if (memstatusResult == -1) memstatusResult = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return memstatusResult;
}

// Made as the program is loaded, before any code of it can use SQLite: a test, a library or a
// command that opened a database before the first store would otherwise leave it unmade, in an
// order nobody chose (a test that asserted the setting failed when another opened SQLite first).
__attribute__((constructor)) static void fieldbook_sqlite_settings_at_load(void) {
    (void)fieldbook_sqlite_memstatus_off();
}
