"""The global lock order. Every write takes its row locks in this order, so that no two writes
can wait for each other in a circle:

0. The idempotency key, first: a unique-index slot claimed by an INSERT. A retry with the same key
   waits there, before it holds anything else; a write claims exactly one key.
1. Members, by ascending id, each with a no-key row lock on its `member` row (FOR NO KEY UPDATE).
   One member, one lock: every write that concerns a member takes it before reading anything of
   the member (award, redeem, reverse, adjust, updateMember with its suspension and reactivation,
   the jobs' settlement), so a write that read the member ACTIVE commits before a suspension can,
   and a write after the suspension sees it. A points write locks the member's `points_balance`
   row in the same statement (loyalty/points/account.py): only holders of the member lock change
   that row, so this never waits, and it makes the statement read the balance as the previous
   holder committed it. Everything else the member owns (lots, orders, returns, event awards) is
   written only under the member lock and needs no lock of its own: a return finds its order's
   member unlocked, then reads the order again once the member is locked.
2. Program-level shared rows (stock, budgets), afterwards, with short conditional updates
   (UPDATE ... WHERE left >= n RETURNING) rather than locks held for the rest of the transaction.
3. Never the `program` row from a member's write. Program changes (configurePoints,
   updateProgram) lock it FOR NO KEY UPDATE, which does not conflict with the key-share locks
   the foreign keys of members' inserts take; writes check the configuration in force by its
   version instead (loyalty/programs.py).
"""
