// The docjobs console's only script: write actions with the token and the operator's name, the
// job page's actions, and the overview's live table and charts. No inline scripts (the Content-Security-Policy forbids them) and no build step.
(function () {
  'use strict';
  var TOKEN_KEY = 'docjobs.console.token';
  var OPERATOR_KEY = 'docjobs.console.operator';
  var FLASH_KEY = 'docjobs.console.flash';
  var body = document.body;

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  // Who the audit log records for this tab's writes; without a name the console records console@<address>.
  function operator() {
    return sessionStorage.getItem(OPERATOR_KEY) || '';
  }

  function message(text, kind) {
    var box = document.getElementById('message');
    box.textContent = text;
    box.className = kind || '';
  }

  // Writes send the token in a header: a cross-site page cannot, without a CORS preflight the
  // console never grants.
  function post(path) {
    var headers = {'Authorization': 'Bearer ' + token()};
    if (operator()) {
      headers['X-DocJobs-Operator'] = encodeURIComponent(operator());
    }
    return fetch(path, {method: 'POST', credentials: 'same-origin', headers: headers})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (!response.ok) {
            throw new Error((json.error || ('HTTP ' + response.status)) + (json.hint ? ' (' + json.hint + ')' : ''));
          }
          return json;
        });
      });
  }

  function setupToken() {
    var input = document.getElementById('token');
    var name = document.getElementById('operator');
    var save = document.getElementById('token-save');
    var state = document.getElementById('token-state');
    if (!input) {
      return;
    }
    function show() {
      state.textContent = (token() ? 'token set for this tab' : 'enter the token to enable actions')
        + (operator() ? ', acting as ' + operator() : '');
    }
    name.value = operator();
    show();
    save.addEventListener('click', function () {
      if (input.value.trim()) {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      }
      sessionStorage.setItem(OPERATOR_KEY, name.value.trim());
      input.value = '';
      show();
    });
  }

  function typeQuery(type, prefix) {
    return type ? prefix + 'type=' + encodeURIComponent(type) : '';
  }

  function act(button) {
    var action = button.dataset.action;
    var type = button.dataset.type || '';
    var what = type ? 'the dead letters of ' + type : 'the dead letters of every type';
    var request;
    if (action === 'requeue') {
      request = post('/api/dead-letters/' + encodeURIComponent(button.dataset.id) + '/requeue').then(function (result) {
        var row = button.closest('tr');
        if (row) {
          row.remove();
        }
        var state = document.getElementById('job-state');
        if (state) {
          state.textContent = 'READY';
          button.remove();
        }
        return result.message;
      });
    } else if (action === 'requeue-all') {
      if (!window.confirm('Requeue ' + what + '?')) {
        return;
      }
      request = post('/api/dead-letters/requeue' + typeQuery(type, '?')).then(function (result) {
        clearRows();
        return 'requeued ' + result.requeued + ' job(s)';
      });
    } else if (action === 'purge') {
      if (!window.confirm('Delete ' + what + ' for good?')) {
        return;
      }
      request = post('/api/dead-letters/purge?' + (type ? typeQuery(type, '') : 'allTypes=true')).then(function (result) {
        clearRows();
        return 'purged ' + result.purged + ' dead letter(s)';
      });
    } else if (['cancel', 'delete', 'run-now', 'priority'].indexOf(action) >= 0) {
      request = jobAction(button, action);
      if (!request) {
        return;
      }
    } else {
      return;
    }
    request.then(function (text) { message(text, 'ok'); }, function (error) { message(error.message, 'error'); });
  }

  // --- job page: cancel, delete, run now, priority ---
  function jobAction(button, action) {
    var id = button.dataset.id;
    var query = '';
    if (action === 'cancel' && !window.confirm(button.dataset.running === 'true'
        ? 'Request cancellation of running job ' + id + '? Its worker stops it at its next heartbeat.'
        : 'Cancel job ' + id + '? It is removed and will not run.')) {
      return null;
    }
    if (action === 'delete' && !window.confirm('Delete job ' + id + ' for good?')) {
      return null;
    }
    if (action === 'priority') {
      query = '?priority=' + encodeURIComponent(document.getElementById('priority-value').value.trim());
    }
    return post('/api/jobs/' + encodeURIComponent(id) + '/' + action + query).then(function (result) {
      var state = document.getElementById('job-state');
      if (result.status === 'CANCELLED' || result.status === 'DELETED') {
        state.textContent = result.status;
        document.getElementById('job-actions').remove();
      } else if (result.status === 'CANCEL_REQUESTED' || result.status === 'ALREADY_REQUESTED') {
        // Not a reload: the worker may end the job before the page would load again.
        state.textContent = 'LEASED, cancellation requested';
        button.remove();
        requested('requested by ' + result.by + '; the handler sees it at its next heartbeat');
        followCancellation();
      } else {
        // The page shows the new state on reload; the message survives it.
        sessionStorage.setItem(FLASH_KEY, result.message);
        window.location.reload();
      }
      return result.message;
    });
  }

  function requested(text) {
    var dd = document.getElementById('cancel-requested');
    if (!dd) {
      var dt = document.createElement('dt');
      dt.textContent = 'Cancellation';
      dd = document.createElement('dd');
      dd.id = 'cancel-requested';
      dd.className = 'error';
      document.getElementById('job').append(dt, dd);
    }
    dd.textContent = text;
  }

  // A running job whose cancellation was requested: follow it until its worker ends it.
  function followCancellation() {
    var job = document.getElementById('job');
    function poll() {
      fetch('/api/jobs/' + encodeURIComponent(job.dataset.id), {credentials: 'same-origin'}).then(function (response) {
        if (response.status === 404) {
          document.getElementById('job-state').textContent = 'ENDED';
          message('job ' + job.dataset.id + ' ended: its worker stopped it at the heartbeat (cancelled, not retried)', 'ok');
          return;
        }
        window.setTimeout(poll, 1000);
      }, function () {
        window.setTimeout(poll, 2000);
      });
    }
    poll();
  }

  function showFlash() {
    var text = sessionStorage.getItem(FLASH_KEY);
    if (text) {
      sessionStorage.removeItem(FLASH_KEY);
      message(text, 'ok');
    }
  }

  function clearRows() {
    var rows = document.querySelectorAll('#dead-letters tbody tr');
    rows.forEach(function (row) { row.remove(); });
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-action]');
    if (button) {
      act(button);
    }
  });

  // --- overview: the table and the charts follow /api/overview ---
  function cell(row, text, link) {
    var td = document.createElement('td');
    if (link) {
      var a = document.createElement('a');
      a.href = link;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function age(ms) {
    if (ms < 1000) { return ms + ' ms'; }
    if (ms < 120000) { return Math.floor(ms / 1000) + ' s'; }
    if (ms < 7200000) { return Math.floor(ms / 60000) + ' min'; }
    return Math.floor(ms / 3600000) + ' h';
  }

  function renderTable(overview) {
    var tbody = document.querySelector('#types tbody');
    var rows = document.createDocumentFragment();
    overview.types.forEach(function (t) {
      var tr = document.createElement('tr');
      cell(tr, t.type);
      cell(tr, t.ready);
      cell(tr, t.delayed);
      cell(tr, t.leased);
      cell(tr, t.expiredLeases);
      cell(tr, t.dead, '/dead-letters?type=' + encodeURIComponent(t.type));
      cell(tr, age(t.oldestReadyAgeMs));
      rows.appendChild(tr);
    });
    tbody.replaceChildren(rows);
    var total = document.querySelectorAll('#types tfoot th');
    var t = overview.total;
    [t.ready, t.delayed, t.leased, t.expiredLeases, t.dead, age(t.oldestReadyAgeMs)].forEach(function (value, i) {
      total[i + 1].textContent = value;
    });
    document.getElementById('stats-at').textContent = overview.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function chart(id, label, color) {
    var element = document.getElementById(id);
    var options = {
      width: Math.max(280, element.clientWidth), height: 180, legend: {show: false},
      series: [{}, {label: label, stroke: color, width: 2, fill: color + '22', spanGaps: true}],
      axes: [{}, {size: 50}]
    };
    return new window.uPlot(options, [[], []], element);
  }

  function plot(set, points) {
    var xs = points.map(function (p) { return p.t / 1000; });
    set.throughput.setData([xs, points.map(function (p) { return p.succeeded; })]);
    set.failures.setData([xs, points.map(function (p) { return p.failed; })]);
    set.wait.setData([xs, points.map(function (p) { return p.queueWaitMs; })]);
  }

  function setupOverview() {
    if (!window.uPlot) {
      message('the chart library did not load', 'error');
      return;
    }
    var charts = {
      throughput: chart('chart-throughput', 'done/s', '#2a7ae2'),
      failures: chart('chart-failures', 'failed/s', '#d64545'),
      wait: chart('chart-wait', 'wait ms', '#7a4fd6')
    };
    var fleet = {
      throughput: chart('chart-fleet-throughput', 'fleet done/s', '#2a7ae2'),
      failures: chart('chart-fleet-failures', 'fleet failed/s', '#d64545'),
      wait: chart('chart-fleet-wait', 'fleet wait ms', '#7a4fd6')
    };
    var count = document.getElementById('sample-count');
    var fleetCount = document.getElementById('fleet-count');
    function refresh() {
      fetch('/api/overview', {credentials: 'same-origin'}).then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status);
        }
        return response.json();
      }).then(function (overview) {
        renderTable(overview);
        var points = overview.series.points;
        plot(charts, points);
        plot(fleet, overview.fleet.points);
        fleetCount.textContent = String(overview.fleet.points.length);
        var aliveCell = document.getElementById('fleet-alive');
        aliveCell.textContent = overview.fleet.alive == null ? '?' : String(overview.fleet.alive);
        aliveCell.title = overview.fleet.error || '';
        count.textContent = String(points.length);
        count.dataset.last = points.length ? String(points[points.length - 1].t) : '';
        message('', '');
      }).catch(function (error) {
        message('could not refresh: ' + error.message, 'error');
      }).then(function () {
        window.setTimeout(refresh, 2000);
      });
    }
    refresh();
  }

  setupToken();
  showFlash();
  if (document.getElementById('job') && document.getElementById('cancel-requested')) {
    followCancellation();
  }
  if (body.dataset.page === 'overview') {
    setupOverview();
  }
})();
