//! std::thread, Mutex, Condvar, mpsc and Arc: built natively and for
//! wasm32-wasip1-threads, the two runs must print the same lines.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;

fn main() {
    // Scoped threads returning values.
    let sums: Vec<u64> = thread::scope(|s| {
        let hs: Vec<_> = (0..8u64)
            .map(|i| s.spawn(move || (0..=1000 * i).sum::<u64>()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    println!("scoped sums: {sums:?}");

    // 16 threads x 20k increments under a Mutex.
    let counter = Arc::new(Mutex::new(0u64));
    let hs: Vec<_> = (0..16)
        .map(|_| {
            let c = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..20_000 {
                    *c.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    println!("mutex counter: {}", *counter.lock().unwrap());

    // Condvar ping-pong.
    let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
    let p2 = Arc::clone(&pair);
    let t = thread::spawn(move || {
        let (m, cv) = &*p2;
        for i in 0..500 {
            let mut g = cv.wait_while(m.lock().unwrap(), |v| *v % 2 == 0).unwrap();
            assert_eq!(*g, 2 * i + 1);
            *g += 1;
            cv.notify_one();
        }
    });
    {
        let (m, cv) = &*pair;
        for _ in 0..500 {
            let mut g = m.lock().unwrap();
            *g += 1;
            cv.notify_one();
            let _g = cv.wait_while(g, |v| *v % 2 == 1).unwrap();
        }
    }
    t.join().unwrap();
    println!("condvar rounds: {}", *pair.0.lock().unwrap() / 2);

    // mpsc fan-in.
    let (tx, rx) = mpsc::channel();
    for id in 0..4u32 {
        let tx = tx.clone();
        thread::spawn(move || {
            for k in 0..100u32 {
                tx.send(id * 1000 + k).unwrap();
            }
        });
    }
    drop(tx);
    let mut got: Vec<u32> = rx.iter().collect();
    got.sort();
    println!("mpsc received: {} first={} last={}", got.len(), got[0], got[got.len() - 1]);

    // Thread names and a panic caught by join.
    let h = thread::Builder::new()
        .name("worker-7".into())
        .spawn(|| thread::current().name().map(str::to_string))
        .unwrap();
    println!("thread name: {:?}", h.join().unwrap());
    // A spawned thread counting in an atomic every other thread sees.
    let seen = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let s = seen.clone();
            thread::spawn(move || s.fetch_add(1, Ordering::SeqCst))
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    println!("atomic seen by all: {}", seen.load(Ordering::SeqCst));
}
