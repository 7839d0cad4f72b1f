import Foundation

/// What a long-running command is doing with a store, so a command that has to wait can say what
/// it waits for.
///
/// A merge or a roster import writes `STORE-activity` (one line: what, then its process id) while it
/// runs and removes it when done. A file left by a killed process names a process that is gone, and
/// is ignored (and removed by the next announcement).
public final class StoreActivity: @unchecked Sendable {
    let path: String
    private var done = false

    init(path: String, activity: String) {
        self.path = path
        let text = "\(activity)\n\(getpid())\n"
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Removes the announcement; also done when the value is released.
    public func end() {
        guard !done else { return }
        done = true
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { end() }

    static func path(forStore store: String) -> String { store + "-activity" }

    /// What another process announced for the store at `store`, if that process is still running.
    static func current(forStore store: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path(forStore: store)) else { return nil }
        let lines = String(decoding: data.prefix(400), as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count >= 2, let pid = Int32(lines[1]), pid > 0, kill(pid, 0) == 0 || errno == EPERM
        else { return nil }
        return tr("\(lines[0]) (process \(pid))")
    }
}

extension Store {
    /// Announces what this command is doing with the store until the returned value ends or is
    /// released: a command that must wait for it says what it waits for.
    public func announce(_ activity: String) -> StoreActivity {
        StoreActivity(path: StoreActivity.path(forStore: path), activity: activity)
    }
}
