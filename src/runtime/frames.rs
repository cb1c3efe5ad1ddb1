//! Frame pacing: draw when something changed, at most once per `FRAME`, however fast messages
//! arrive, except that a person's key is answered at once; and let a frame wait a moment for the
//! selected row's diff text, so the pane does not flash empty between a key press and the text. Time is passed in, so the rules are tested
//! without a clock.

use std::time::{Duration, Instant};

/// About 60 frames a second: faster than a display refreshes buys nothing.
pub const FRAME: Duration = Duration::from_micros(16_667);
/// How long a frame may wait for a diff text that was asked for (the job usually answers in
/// well under a millisecond; a huge object is bounded by its 5 ms diff deadline).
pub const DIFF_GRACE: Duration = Duration::from_millis(12);

#[derive(Debug)]
pub struct FramePacer {
    dirty: bool,
    last: Option<Instant>,
    /// Since when a frame has been held for a diff text.
    held_since: Option<Instant>,
    /// A key (or a resize) came since the last frame: drawn without waiting out `FRAME`. Keys
    /// come at most at a keyboard's repeat rate, and a key typed 5 ms after the last frame would
    /// otherwise wait 12 ms for a frame owed only to watch events.
    input: bool,
}

impl Default for FramePacer {
    fn default() -> Self {
        // the first frame is owed at once
        Self {
            dirty: true,
            last: None,
            held_since: None,
            input: false,
        }
    }
}

impl FramePacer {
    /// Something on screen may have changed.
    pub fn mark(&mut self) {
        self.dirty = true;
    }

    /// A person pressed a key or resized the terminal: the next frame is not paced.
    pub fn mark_input(&mut self) {
        self.dirty = true;
        self.input = true;
    }

    /// When the next frame may be drawn: `None` while nothing changed (idle costs nothing).
    /// `waiting`: the diff pane waits for its text.
    pub fn due(&self, waiting: bool) -> Option<Instant> {
        if !self.dirty {
            return None;
        }
        let paced = self.last.filter(|_| !self.input).map(|last| last + FRAME);
        let held = self.held_since.filter(|_| waiting).map(|t| t + DIFF_GRACE);
        Some(paced.max(held).unwrap_or_else(Instant::now))
    }

    /// Whether a frame should be drawn at `now`; if so it counts as drawn.
    pub fn draw_now(&mut self, now: Instant, waiting: bool) -> bool {
        if !self.dirty {
            return false;
        }
        if waiting {
            let since = *self.held_since.get_or_insert(now);
            if now < since + DIFF_GRACE {
                return false;
            }
        } else {
            self.held_since = None;
        }
        if !self.input && self.last.is_some_and(|last| now < last + FRAME) {
            return false;
        }
        self.dirty = false;
        self.input = false;
        self.last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_faster_than_a_frame_are_drawn_once_per_frame() {
        let mut pacer = FramePacer::default();
        let t0 = Instant::now();
        assert!(pacer.draw_now(t0, false), "the first frame at once");
        let mut frames = 0;
        // a message every 100 µs for one second: 10 000 changes
        for i in 1..=10_000u32 {
            pacer.mark();
            if pacer.draw_now(t0 + Duration::from_micros(100) * i, false) {
                frames += 1;
            }
        }
        assert!((58..=60).contains(&frames), "{frames} frames in a second");
        assert!(
            pacer.due(false).is_some(),
            "the last change is still owed a frame"
        );
    }

    #[test]
    fn nothing_changed_means_no_frame_and_no_wakeup() {
        let mut pacer = FramePacer::default();
        let t0 = Instant::now();
        assert!(pacer.draw_now(t0, false));
        assert_eq!(pacer.due(false), None);
        assert!(!pacer.draw_now(t0 + Duration::from_secs(1), false));
        pacer.mark();
        assert_eq!(pacer.due(false), Some(t0 + FRAME));
        assert!(
            pacer.draw_now(t0 + Duration::from_secs(1), false),
            "a late change is drawn at once"
        );
    }

    #[test]
    fn a_key_is_drawn_at_once_even_right_after_a_frame() {
        let mut pacer = FramePacer::default();
        let t0 = Instant::now();
        assert!(pacer.draw_now(t0, false));
        let key = t0 + Duration::from_millis(5);
        pacer.mark_input();
        assert!(pacer.due(false).unwrap() <= key, "due at once");
        assert!(pacer.draw_now(key, false), "not held to the frame rate");
        // a watch event right after is paced again
        pacer.mark();
        assert!(!pacer.draw_now(key + Duration::from_millis(5), false));
        assert_eq!(pacer.due(false), Some(key + FRAME));
        // a key still waits briefly for the diff text it asked for
        let key = key + Duration::from_secs(1);
        pacer.mark_input();
        assert!(!pacer.draw_now(key, true), "held for the text");
        assert!(pacer.draw_now(key + DIFF_GRACE, true));
    }

    #[test]
    fn a_frame_waits_briefly_for_the_diff_text() {
        let mut pacer = FramePacer::default();
        let t0 = Instant::now();
        assert!(pacer.draw_now(t0, false));
        let key = t0 + Duration::from_secs(1);
        pacer.mark();
        assert!(!pacer.draw_now(key, true), "held for the text");
        assert_eq!(pacer.due(true), Some(key + DIFF_GRACE));
        let text = key + Duration::from_millis(2);
        pacer.mark();
        assert!(pacer.draw_now(text, false), "the text came: drawn with it");
        // a text that does not come in time does not hold the screen back
        let key = text + Duration::from_secs(1);
        pacer.mark();
        assert!(!pacer.draw_now(key, true));
        assert!(pacer.draw_now(key + DIFF_GRACE, true), "drawn without it");
        pacer.mark();
        let next = key + DIFF_GRACE + FRAME;
        assert!(
            pacer.draw_now(next, true),
            "the hold is over for this request"
        );
    }
}
