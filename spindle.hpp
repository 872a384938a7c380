#pragma once
// spindle: stackful fibers with asyncio's toolbox and no async/await colouring.
// One header for the whole public API; see API.md for the contract.
#include "scheduler/cancel_scope.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/diagnostics.hpp"
#include "scheduler/errors.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/sleep.hpp"
#include "scheduler/task.hpp"
#include "scheduler/timeout.hpp"
#include "scheduler/wait_queue.hpp"
#include "sync/exception_group.hpp"
#include "sync/gather.hpp"
#include "sync/task_group.hpp"
#include "sync/as_completed.hpp"
#include "sync/wait.hpp"
#include "sync/wait_for.hpp"
