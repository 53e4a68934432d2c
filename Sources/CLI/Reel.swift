import ArgumentParser

@main
struct Reel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reel",
        abstract: "A live-broadcast recording server speaking the Tencent LVB API 2.0.",
        subcommands: [Serve.self, APICall.self, Fragments.self],
        defaultSubcommand: Serve.self
    )
}
