//! Frame pacing: draw when something changed, at most once per `FRAME`, however fast messages
//! arrive. Time is passed in, so the rule is tested without a clock.

use std::time::{Duration, Instant};

/// About 60 frames a second: faster than a display refreshes buys nothing.
pub const FRAME: Duration = Duration::from_micros(16_667);

#[derive(Debug)]
pub struct FramePacer {
    dirty: bool,
    last: Option<Instant>,
}

impl Default for FramePacer {
    fn default() -> Self {
        // the first frame is owed at once
        Self {
            dirty: true,
            last: None,
        }
    }
}

impl FramePacer {
    /// Something on screen may have changed.
    pub fn mark(&mut self) {
        self.dirty = true;
    }

    /// When the next frame may be drawn: `None` while nothing changed (idle costs nothing).
    pub fn due(&self) -> Option<Instant> {
        if !self.dirty {
            return None;
        }
        Some(match self.last {
            Some(last) => last + FRAME,
            None => Instant::now(),
        })
    }

    /// Whether a frame should be drawn at `now`; if so it counts as drawn.
    pub fn draw_now(&mut self, now: Instant) -> bool {
        let ready = self.dirty && self.last.is_none_or(|last| now >= last + FRAME);
        if ready {
            self.dirty = false;
            self.last = Some(now);
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_faster_than_a_frame_are_drawn_once_per_frame() {
        let mut pacer = FramePacer::default();
        let t0 = Instant::now();
        assert!(pacer.draw_now(t0), "the first frame at once");
        let mut frames = 0;
        // a message every 100 µs for one second: 10 000 changes
        for i in 1..=10_000u32 {
            pacer.mark();
            if pacer.draw_now(t0 + Duration::from_micros(100) * i) {
                frames += 1;
            }
        }
        assert!((58..=60).contains(&frames), "{frames} frames in a second");
        assert!(
            pacer.due().is_some(),
            "the last change is still owed a frame"
        );
    }

    #[test]
    fn nothing_changed_means_no_frame_and_no_wakeup() {
        let mut pacer = FramePacer::default();
        let t0 = Instant::now();
        assert!(pacer.draw_now(t0));
        assert_eq!(pacer.due(), None);
        assert!(!pacer.draw_now(t0 + Duration::from_secs(1)));
        pacer.mark();
        assert_eq!(pacer.due(), Some(t0 + FRAME));
        assert!(
            pacer.draw_now(t0 + Duration::from_secs(1)),
            "a late change is drawn at once"
        );
    }
}
