"""Reinforcement-learning baselines: what Go strength costs without search.

The AlphaGo Zero loop (``trainer``, ``selfplay``) learns from a search that improves
on its network.  These baselines learn from game outcomes alone, so that the value
of search + self-play is measured against them rather than assumed:

* ``reinforce``: policy gradient (REINFORCE with a learned baseline), as in
  AlphaGo's RL-policy phase: a policy network plays a pool of its earlier
  snapshots and is pushed towards the moves of the games it won;
* ``supervised``: the SL policy that may start it, trained on GNU Go's games
  (``scripts/make_gnugo_games.py``);
* ``value_net``: a value network regressed on RL self-play positions, one per
  game (AlphaGo's SL -> RL -> value pipeline, complete);
* ``qlearning``: tabular Q-learning on a tiny board where the table fits, with
  epsilon-greedy exploration and learning curves for several epsilons;
* ``dqn``: a convolutional Q-network (``q_net``) with a replay buffer, a target
  network and Double DQN, illegal actions masked in acting and in the target.

Shared pieces: ``rollout`` plays batches of games between batched policies on the
environments' fast path (``engine.envs.gym_env.GoState``) and measures win rates;
``policy_net`` holds the policy network and its masked softmax; ``players`` turns
each trained artefact into an ``engine.player.Player`` for ``zerogo gtp --player
pg|dqn|qtable --weights PATH``.  The command line is ``zerogo baseline``.

Notation: N board size, A = N*N + 1 actions (pass last, ``engine.coords``), C input
planes, B a batch of positions; z the game outcome (+1 win, -1 loss, 0 draw) from
the point of view of the side to move.  Start reading at ``reinforce.train_pg``.
"""
