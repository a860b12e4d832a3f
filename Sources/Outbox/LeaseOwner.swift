import Foundation

/// Lease owners are `host:pid:nonce`, so a rerun on the same host can see that a killed run's
/// process is gone and take its alerts back at once instead of waiting for the lease to end. A run
/// sees only its own host's processes: an alert claimed by a run on another host goes out again
/// once that lease ends, never sooner.
public enum LeaseOwner {
    public static let current = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"

    public static func isDead(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]) else {
            return false
        }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
