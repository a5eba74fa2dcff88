from collections.abc import Buffer

def run(
    voters: int,
    offsets: Buffer,
    supporters: Buffer,
    costs: Buffer,
    ranks: Buffer,
    cardinality: bool,
    per_voter_budget: float,
    error: float,
    earlier: tuple[Buffer, Buffer, Buffer, Buffer, Buffer, float, float] | None = None,
    weights: Buffer | None = None,
    with_slopes: bool = False,
    /,
) -> (
    tuple[
        list[int],
        bytes,
        bytes,
        bytes,
        bytes,
        bytes,
        bool,
        tuple[int, float, float, float, float] | None,
    ]
    | None
): ...
def last_failure() -> tuple[int, int, int, str] | None: ...
def cluster(voters: int, offsets: Buffer, supporters: Buffer, /) -> bytes: ...
def overlaps(voters: int, offsets: Buffer, supporters: Buffer, limit: int, /) -> bytes | None: ...
