import ArgumentParser
import FieldbookCore
import Foundation

/// What every command that records field work shares: whether a date after today may be typed.
///
/// The rule itself is the record kinds' (``ChangeRules/futureDateProblem(_:_:today:)``): a date
/// says when work was done, so a day after today is refused, unless `--allow-future` says the day
/// is right (this computer's clock is behind). A deadline plans ahead and is never refused.
struct DateOptions: ParsableArguments {
    @Flag(
        name: .customLong("allow-future"),
        help: ArgumentHelp(tr("Accept a date after today (when this computer's clock is behind).")))
    var allowFuture = false
}

/// A command that records or changes field records (visit, forum, notice, fix, problem, rectify,
/// transfer, edit): a store command whose dates are held to today unless `--allow-future`.
protocol RecordingCommand: StoreCommand {
    var dates: DateOptions { get }
}

extension RecordingCommand {
    public mutating func run() throws {
        var context = try CommandContext(options: store, environment: ProcessInfo.processInfo.environment)
        context.environment.allowsFutureDates = dates.allowFuture
        try run(context)
    }
}

extension Fieldbook.Visit: RecordingCommand {}
extension Fieldbook.Forum: RecordingCommand {}
extension Fieldbook.Notice: RecordingCommand {}
extension Fieldbook.Fix: RecordingCommand {}
extension Fieldbook.FixStatusCommand: RecordingCommand {}
extension Fieldbook.Problem: RecordingCommand {}
extension Fieldbook.Rectify: RecordingCommand {}
extension Fieldbook.Transfer: RecordingCommand {}
extension Fieldbook.Edit: RecordingCommand {}
