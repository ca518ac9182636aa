import ArgumentParser

/// How PATH arguments become input images, shared by the commands that read images.
struct InputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Descend into subdirectories of directory arguments.")
    var recursive = false

    @Flag(help: "Stop with status 1 at the first input that cannot be read.")
    var strict = false
}
