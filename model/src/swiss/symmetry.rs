//! Symmetry of the `swiss` model: none yet. Keys are interchangeable as in the `hmap` model
//! (every action for every key, every injective hash assignment an initial state), so the
//! same renaming would apply; the model does not implement it, and its specs run BFS
//! without `search.symmetry`.
