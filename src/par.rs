//! Work spread over every core, a chunk at a time, its results handed on
//! in the items' order: the migration export and the editors' site write
//! their files in the archive's order whatever thread made them, so a run
//! gives the same output as any other.

/// Items a worker takes per chunk: enough to keep cores busy, few enough
/// that a chunk's results (whole pages) stay small in memory.
const PER_WORKER: usize = 16;

/// Runs `work` on every item, on every core, a chunk at a time, and hands
/// each chunk with its results to `then`, in order, before the next chunk
/// starts. A result is `None` when its worker stopped (it panicked).
pub fn in_order<T, R, E>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut then: impl FnMut(&[T], Vec<Option<R>>) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    for chunk in items.chunks(workers * PER_WORKER) {
        let mut results: Vec<Option<R>> = (0..chunk.len()).map(|_| None).collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let work = &work;
                    s.spawn(move || {
                        chunk
                            .iter()
                            .enumerate()
                            .skip(w)
                            .step_by(workers)
                            .map(|(i, item)| (i, work(item)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                if let Ok(done) = h.join() {
                    for (i, r) in done {
                        results[i] = Some(r);
                    }
                }
            }
        });
        then(chunk, results)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::in_order;

    #[test]
    fn results_come_in_the_items_order() {
        let items: Vec<usize> = (0..1000).collect();
        let mut seen = Vec::new();
        in_order(
            &items,
            |&i| i * 2,
            |chunk, results| {
                for (item, r) in chunk.iter().zip(results) {
                    assert_eq!(r, Some(item * 2));
                    seen.push(*item);
                }
                Ok::<(), ()>(())
            },
        )
        .expect("no error");
        assert_eq!(seen, items);
    }
}
