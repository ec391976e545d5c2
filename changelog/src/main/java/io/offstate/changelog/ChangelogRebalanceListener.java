package io.offstate.changelog;

import java.util.Collection;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/**
 * Ties a consumer group's partition assignment to a {@link Changelog}: assigned input partitions
 * are assigned (recovery starts, input paused until it completes), revoked or lost ones revoked
 * (open transactions aborted, restores suspended, stores flushed and closed). Runs on the
 * consumer's poll thread, which must be the changelog's. Partitions of other topics are ignored.
 */
final class ChangelogRebalanceListener implements ConsumerRebalanceListener {
    private final Changelog changelog;

    ChangelogRebalanceListener(Changelog changelog) {
        this.changelog = changelog;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        int[] ids = changelog.inputIds(partitions, true);
        if (ids.length > 0) {
            changelog.revoke(ids);
        }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        // the local state is consistent with its last commit; another owner may already be fencing us
        onPartitionsRevoked(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        int[] ids = changelog.inputIds(partitions, false);
        if (ids.length > 0) {
            changelog.assign(ids);
        }
    }
}
