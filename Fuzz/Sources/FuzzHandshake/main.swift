import FuzzSupport

writeSeedsIfAsked(seeds)
runLibFuzzer(fuzzHandshake)
