from dramatiq import Message
from dramatiq.brokers.stub import StubBroker

from config.messages import RUN_DUE_SCHEDULES, SCHEDULES_QUEUE
from worker.middleware import build_middleware
from worker.ticker import tick


def test_the_ticker_sends_one_schedule_message_per_tick():
    broker = StubBroker(middleware=build_middleware())
    broker.declare_queue(SCHEDULES_QUEUE)
    tick(broker, interval_s=0, ticks=3)
    messages = [Message.decode(data) for data in broker.queues[SCHEDULES_QUEUE].queue]
    assert [(m.actor_name, m.queue_name, m.kwargs) for m in messages] == [(RUN_DUE_SCHEDULES, SCHEDULES_QUEUE, {})] * 3
