extension FragmentPolicy {
    enum State: Sendable, Hashable {
        /// No task window or no live publisher: the look-ahead keeps the GOP in progress as
        /// pre-roll for a window that opens mid-stream.
        case idle
        /// Window open, publisher live, no fragment open: the next tag opens one.
        case awaitingMedia
        /// A fragment is open; its first tag has this timestamp.
        case recording(fragmentStart: Int64)
    }

    /// The latest codec configuration and metadata of the current publisher.
    struct FrontTags: Sendable, Hashable {
        var video: FLVMediaTag?
        var audio: FLVMediaTag?
        var metadata: FLVMediaTag?

        mutating func remember(_ tag: FLVMediaTag) {
            switch tag.type {
            case .video: video = tag
            case .audio: audio = tag
            case .scriptData: metadata = tag
            }
        }

        var fragmentStart: FragmentStart {
            FragmentStart(metadata: metadata, sequenceHeaders: [video, audio].compactMap { $0 })
        }
    }

    /// Unfolds timestamp jumps into a continuous timeline.
    struct Timeline: Sendable, Hashable {
        var offset: Int64 = 0
        var latest: Int64?

        /// The tag's timestamp on the continuous timeline; `true` when a jump was rebased.
        mutating func place(_ tag: FLVMediaTag, configuration: Configuration) -> (timestamp: Int64, jumped: Bool) {
            let shifted = tag.timestamp &+ offset
            guard let latest else {
                if tag.isFrame { self.latest = shifted }
                return (shifted, false)
            }
            guard tag.isFrame else { return (latest, false) }
            if shifted > latest &+ configuration.forwardJumpThreshold.milliseconds
                || shifted < latest &- configuration.backwardJumpTolerance.milliseconds
            {
                offset &+= latest &- shifted
                return (latest, true)
            }
            self.latest = max(latest, shifted)
            return (shifted, false)
        }
    }

    /// Tags held back since the last cut candidate: the one-GOP look-ahead.
    struct LookAhead: Sendable, Hashable {
        var tags: [FLVMediaTag] = []
        /// Nothing of the open fragment has been written before `tags`.
        var startsFragment = true
        /// The sequence headers and metadata in force at `tags.first`.
        var front = FrontTags()
    }

    // MARK: Events

    /// The task's window opened.
    ///
    /// With a live publisher, the GOP in progress (if any) opens a fragment at once.
    public mutating func taskDidStart() -> [Action] {
        guard !taskIsActive else { return [] }
        taskIsActive = true
        guard publisherIsLive else { return [] }
        guard let first = lookAhead.tags.first else {
            state = .awaitingMedia
            return []
        }
        state = .recording(fragmentStart: first.timestamp)
        lookAhead.startsFragment = true
        return [.openFragment(lookAhead.front.fragmentStart)]
    }

    /// The task's window closed (end time, `StopRecord`, channel stopped or deleted): held tags
    /// are written and the fragment closes with ``CloseReason/taskEnd``.
    public mutating func taskDidEnd() -> [Action] {
        guard taskIsActive else { return [] }
        taskIsActive = false
        let actions = finishFragment(.taskEnd)
        state = .idle
        return actions
    }

    /// A publisher started on the channel. A second start without a stop is an interruption.
    public mutating func publisherDidStart() -> [Action] {
        let actions = publisherIsLive ? publisherDidStop() : []
        publisherIsLive = true
        state = taskIsActive ? .awaitingMedia : .idle
        return actions
    }

    /// The publisher closed or unpublished: the fragment closes with
    /// ``CloseReason/interruption`` and the publisher's sequence headers are forgotten.
    public mutating func publisherDidStop() -> [Action] {
        guard publisherIsLive else { return [] }
        let actions = finishFragment(.interruption)
        publisherIsLive = false
        state = .idle
        latest = FrontTags()
        timeline = Timeline()
        lookAhead = LookAhead()
        streamHasVideo = false
        return actions
    }

    /// The publisher sent nothing for the idle timeout: the fragment closes with
    /// ``CloseReason/interruption``; the next tag opens a new one with the same sequence
    /// headers.
    public mutating func idleTimeoutDidElapse() -> [Action] {
        timeline.latest = nil
        guard case .recording = state else {
            lookAhead = LookAhead()
            return []
        }
        let actions = finishFragment(.interruption)
        state = .awaitingMedia
        return actions
    }

    /// A tag arrived from the live publisher.
    ///
    /// - Parameter tag: The tag, timestamped on the 64-bit timeline.
    /// - Returns: The actions to run; tags in them carry rebased timeline timestamps.
    public mutating func mediaTagDidArrive(_ tag: FLVMediaTag) -> [Action] {
        precondition(publisherIsLive, "FragmentPolicy: a media tag arrived with no live publisher in state \(state)")
        var tag = tag
        let placed = timeline.place(tag, configuration: configuration)
        tag.timestamp = placed.timestamp
        placedTimestamp = placed.timestamp
        if placed.jumped { timestampJumpCount += 1 }
        if tag.isSequenceHeader {
            latest.remember(tag)
            if tag.isMetadata { return [] }
        }
        if tag.type == .video { streamHasVideo = true }

        switch state {
        case .idle:
            keepPreRoll(tag)
            return []
        case .awaitingMedia:
            guard !tag.isSequenceHeader else { return [] }
            state = .recording(fragmentStart: tag.timestamp)
            lookAhead = LookAhead(tags: [], startsFragment: true, front: latest)
            return [.openFragment(latest.fragmentStart)] + record(tag, fragmentStart: tag.timestamp)
        case .recording(let fragmentStart):
            return record(tag, fragmentStart: fragmentStart)
        }
    }

    // MARK: Helpers

    /// A tag the fragment may be cut before: a video keyframe, or an audio frame while the
    /// stream has shown no video.
    private func isCutCandidate(_ tag: FLVMediaTag) -> Bool {
        switch tag.type {
        case .video: tag.isKeyframe
        case .audio: !tag.isSequenceHeader && !streamHasVideo
        case .scriptData: false
        }
    }

    private mutating func record(_ tag: FLVMediaTag, fragmentStart: Int64) -> [Action] {
        let limit = configuration.maximumFragmentDuration.milliseconds
        var start = fragmentStart
        var actions: [Action] = []
        if tag.isFrame && tag.timestamp - start > limit {
            if !lookAhead.startsFragment, let candidate = lookAhead.tags.first {
                // Cut at the last keyframe at or before the limit; the held GOP opens the next fragment.
                actions.append(.cutFragment(FragmentEnd(reason: .durationLimit), next: lookAhead.front.fragmentStart))
                start = candidate.timestamp
                lookAhead.startsFragment = true
            }
            if tag.timestamp - start > limit {
                // The held GOP alone reaches the limit: cut at the limit.
                actions += flushLookAhead()
                let end = FragmentEnd(reason: .durationLimit, splitsGOP: !isCutCandidate(tag))
                actions.append(.cutFragment(end, next: latest.fragmentStart))
                start = tag.timestamp
                lookAhead = LookAhead(tags: [], startsFragment: true, front: latest)
            }
            state = .recording(fragmentStart: start)
        }
        if isCutCandidate(tag) {
            actions += flushLookAhead()
            lookAhead.front = latest
        }
        lookAhead.tags.append(tag)
        return actions
    }

    private mutating func flushLookAhead() -> [Action] {
        guard !lookAhead.tags.isEmpty else { return [] }
        defer {
            lookAhead.tags.removeAll(keepingCapacity: true)
            lookAhead.startsFragment = false
        }
        return [.writeTags(lookAhead.tags)]
    }

    private mutating func finishFragment(_ reason: CloseReason) -> [Action] {
        guard case .recording = state else { return [] }
        let actions = flushLookAhead() + [.closeFragment(FragmentEnd(reason: reason))]
        lookAhead = LookAhead()
        return actions
    }

    /// Outside the window, keep the GOP in progress so a window opening mid-GOP starts on its
    /// keyframe. A new sequence header, or a GOP longer than a fragment, empties it.
    private mutating func keepPreRoll(_ tag: FLVMediaTag) {
        if tag.isSequenceHeader {
            lookAhead = LookAhead()
        } else if isCutCandidate(tag) {
            lookAhead = LookAhead(tags: [tag], startsFragment: true, front: latest)
        } else if let first = lookAhead.tags.first {
            if tag.timestamp - first.timestamp > configuration.maximumFragmentDuration.milliseconds {
                lookAhead = LookAhead()
            } else {
                lookAhead.tags.append(tag)
            }
        }
    }
}
