import ArgumentParser

/// `--resume`: continue a run whose structured output file was cut short.
struct RecoveryOptions: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Continue an interrupted run: keep the records already in --output, skip their inputs, append the rest.",
        discussion: "Needs --output with a jsonl or csv format. A torn last line (from a killed run) is dropped first."))
    var resume = false

    /// Checks `--resume` against the output settings of the command.
    func validate(output: String?, format: String, resumable: [String]) throws {
        guard resume else { return }
        guard output != nil else { throw ValidationError("--resume needs --output FILE") }
        guard resumable.contains(format) else {
            throw ValidationError("--resume works with --format \(resumable.joined(separator: " or ")), not \(format)")
        }
    }
}
